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
        process.wait(timeout=10)


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
    assert "maximum cost" in costly["errors"][0]["message"]


def test_syntax_error_is_bad_request(server_url):
    response = post(server_url, "{ auditEvents(")

    assert response.json()["errors"][0]["errorType"] == "BAD_REQUEST"


def test_introspection_in_development(server_url):
    response = post(server_url, "{ __schema { queryType { name } } }")

    assert response.json()["data"] == {"__schema": {"queryType": {"name": "Query"}}}
