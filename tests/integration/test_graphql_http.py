"""The local GraphQL server over real HTTP: uvicorn in its own process, an HTTP client here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from conftest import CURSOR_SECRET
from graphql_support import EVENTS_QUERY, NOW, window
from localpg import free_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
VIEWER = json.dumps({"sub": "user-7", "tenants": ["acme"], "role": "viewer"})


@pytest.fixture(scope="module")
def server_url(migrated_database) -> Iterator[str]:
    database = migrated_database.database
    port = free_port()
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            str(ROOT / "functions" / name) for name in ("common", "graphql_api")
        ),
        "DB_HOST": database.host,
        "DB_PORT": str(database.port),
        "DB_NAME": database.name,
        "DB_USER": database.reader.user,
        "DB_PASSWORD": database.reader.password,
        "DB_SSLMODE": "disable",
        "ENVIRONMENT": "dev",
        "CURSOR_SECRET": CURSOR_SECRET,
    }
    process = subprocess.Popen(
        [
            sys.executable, "-m", "uvicorn", "graphql_api.server:create_app", "--factory",
            "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
        ],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/graphql"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stdout.read().decode() if process.stdout else ""
                    raise RuntimeError(f"the GraphQL server did not start:\n{output}") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def events(audit_db, insert_events) -> None:
    insert_events(
        [
            {"tenant_id": "acme", "event_id": f"e{n}", "occurred_at": NOW - timedelta(seconds=n)}
            for n in range(3)
        ]
    )


def post(url: str, query: str, variables: dict | None = None, caller: str | None = VIEWER):
    headers = {"X-Dev-Caller": caller} if caller else {}
    return httpx.post(url, json={"query": query, "variables": variables or {}}, headers=headers)


def test_explorer_page_is_served(server_url):
    response = httpx.get(server_url, headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    assert "graphiql" in response.text.lower()


def test_query_over_http(server_url, events):
    response = post(server_url, EVENTS_QUERY, {"filter": window(), "first": 2})

    body = response.json()
    assert response.status_code == 200
    assert "errors" not in body
    page = body["data"]["auditEvents"]
    assert [edge["node"]["eventId"] for edge in page["edges"]] == ["e0", "e1"]
    assert page["edges"][0]["node"]["occurredAt"].endswith("Z")


def test_error_has_type_and_no_trace(server_url, events):
    response = post(server_url, EVENTS_QUERY, {"filter": window("globex")})

    error = response.json()["errors"][0]
    assert error["errorType"] == "FORBIDDEN"
    assert error["extensions"] == {"errorType": "FORBIDDEN"}
    assert "Traceback" not in response.text


def test_request_without_caller_is_forbidden(server_url, events):
    response = post(server_url, EVENTS_QUERY, {"filter": window()}, caller=None)

    assert response.json()["errors"][0]["errorType"] == "FORBIDDEN"


def test_cost_from_variables_is_rejected(server_url, events):
    node = "edges { node { eventId occurredAt action actor { id name } original context } }"
    query = (
        "query($f: AuditEventFilter!, $n: Int) {"
        + "".join(f" p{i}: auditEvents(filter: $f, first: $n) {{ {node} }}" for i in range(5))
        + " }"
    )

    cheap = post(server_url, query, {"f": window(), "n": 2}).json()
    costly = post(server_url, query, {"f": window(), "n": 500}).json()

    assert "errors" not in cheap
    assert costly["errors"][0]["errorType"] == "BAD_REQUEST"
    assert "over the maximum of" in costly["errors"][0]["message"]


def test_syntax_error_is_bad_request(server_url):
    response = post(server_url, "{ auditEvents(")

    assert response.json()["errors"][0]["errorType"] == "BAD_REQUEST"


def test_introspection_in_development(server_url):
    response = post(server_url, "{ __schema { queryType { name } } }")

    assert response.json()["data"] == {"__schema": {"queryType": {"name": "Query"}}}


def test_slow_query_does_not_block_others(server_url, events, audit_db):
    import threading

    # A SELECT waits for an ACCESS EXCLUSIVE lock that another session holds.
    blocker = audit_db.database
    with blocker.connect_as(blocker.superuser) as lock_holder:
        lock_holder.run("BEGIN")
        lock_holder.run("LOCK TABLE audit.events IN ACCESS EXCLUSIVE MODE")
        slow = threading.Thread(target=post, args=(server_url, EVENTS_QUERY, {"filter": window()}))
        slow.start()
        time.sleep(0.5)
        started = time.monotonic()
        quick = post(server_url, "{ __typename }")
        elapsed = time.monotonic() - started
        lock_holder.run("ROLLBACK")
    slow.join(timeout=30)

    assert quick.json() == {"data": {"__typename": "Query"}}
    assert elapsed < 5


def test_oversized_body_is_rejected(server_url):
    response = httpx.post(
        server_url,
        content=b"{" + b" " * 1_100_000 + b"}",
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 413


def test_upload_is_rejected(server_url):
    response = httpx.post(server_url, files={"file": ("a.txt", b"x")})

    assert response.status_code == 415


def test_too_many_tokens_is_rejected(server_url):
    query = "{ " + " ".join("__typename" for _ in range(6000)) + " }"

    response = post(server_url, query)

    assert response.json()["errors"][0]["errorType"] == "BAD_REQUEST"
    assert "token" in response.json()["errors"][0]["message"].lower()


def test_invalid_caller_header_says_why(server_url, events):
    caller = json.dumps({"sub": "u", "tenants": ["acme"], "role": "ADMIN"})

    response = post(server_url, EVENTS_QUERY, {"filter": window()}, caller=caller)

    error = response.json()["errors"][0]
    assert error["errorType"] == "FORBIDDEN"
    assert "role" in error["message"]
