"""The local GraphQL server over real HTTP: uvicorn in its own process, an HTTP client here."""

from __future__ import annotations

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
from dev_tokens import DEV_AUDIENCE, DEV_ISSUER, JwksServer, KeyStore, dev_claims
from graphql_support import EVENTS_QUERY, NOW, window
from localpg import free_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> KeyStore:
    store = KeyStore(tmp_path_factory.mktemp("keys"))
    store.ensure_keys()
    return store


def token(keys: KeyStore, *tenants: str, role: str = "viewer") -> str:
    return keys.newest("rsa").sign(dev_claims(tenants=tenants or ("acme",), role=role))


@pytest.fixture(scope="module")
def server_url(migrated_database, keys) -> Iterator[str]:
    database = migrated_database.database
    port = free_port()
    jwks = JwksServer(keys).start()
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(ROOT / "functions" / name) for name in ("common", "graphql_api", "authorizer")]
            + [str(ROOT / "scripts")]
        ),
        **database.environment(database.reader),
        "ENVIRONMENT": "dev",
        "CURSOR_SECRET": CURSOR_SECRET,
        "JWT_ISSUER": DEV_ISSUER,
        "JWT_AUDIENCE": DEV_AUDIENCE,
        "JWKS_URL": jwks.url,
    }
    process = subprocess.Popen(
        [
            sys.executable, "-m", "uvicorn", "local_api:create_app", "--factory",
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
        jwks.stop()


@pytest.fixture
def events(audit_db, insert_events) -> None:
    insert_events(
        [
            {"tenant_id": "acme", "event_id": f"e{n}", "occurred_at": NOW - timedelta(seconds=n)}
            for n in range(3)
        ]
    )


def post(url: str, query: str, variables: dict | None = None, authorization: str | None = None):
    headers = {"Authorization": authorization} if authorization else {}
    return httpx.post(
        url, json={"query": query, "variables": variables or {}}, headers=headers, timeout=30
    )


@pytest.fixture
def viewer(keys) -> str:
    return f"Bearer {token(keys, 'acme')}"


def test_explorer_page_is_served(server_url):
    response = httpx.get(server_url, headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    assert "graphiql" in response.text.lower()


def test_query_over_http(server_url, events, viewer):
    response = post(server_url, EVENTS_QUERY, {"filter": window(), "first": 2}, viewer)

    body = response.json()
    assert response.status_code == 200
    assert "errors" not in body
    page = body["data"]["auditEvents"]
    assert [edge["node"]["eventId"] for edge in page["edges"]] == ["e0", "e1"]
    assert page["edges"][0]["node"]["occurredAt"].endswith("Z")


def test_error_has_type_and_no_trace(server_url, events, viewer):
    response = post(server_url, EVENTS_QUERY, {"filter": window("globex")}, viewer)

    error = response.json()["errors"][0]
    assert error["errorType"] == "FORBIDDEN"
    assert error["extensions"] == {"errorType": "FORBIDDEN"}
    assert "Traceback" not in response.text


def test_request_without_token_is_unauthorized(server_url, events):
    response = post(server_url, EVENTS_QUERY, {"filter": window()})

    assert response.status_code == 401
    assert response.json()["errors"][0]["errorType"] == "UnauthorizedException"


def test_token_from_unknown_key_is_unauthorized(server_url, events, tmp_path):
    stranger = KeyStore(tmp_path)
    stranger.ensure_keys()

    response = post(server_url, EVENTS_QUERY, {"filter": window()}, f"Bearer {token(stranger)}")

    assert response.status_code == 401


def test_token_roles_reach_resolvers(server_url, events, keys):
    admin = f"Bearer {token(keys, 'acme', role='admin')}"

    response = post(server_url, EVENTS_QUERY, {"filter": window("globex")}, admin)

    assert response.status_code == 200
    assert "errors" not in response.json()


def test_cost_from_variables_is_rejected(server_url, events, viewer):
    node = "edges { node { eventId occurredAt action actor { id name } original context } }"
    query = (
        "query($f: AuditEventFilter!, $n: Int) {"
        + "".join(f" p{i}: auditEvents(filter: $f, first: $n) {{ {node} }}" for i in range(5))
        + " }"
    )

    cheap = post(server_url, query, {"f": window(), "n": 2}, viewer).json()
    costly = post(server_url, query, {"f": window(), "n": 500}, viewer).json()

    assert "errors" not in cheap
    assert costly["errors"][0]["errorType"] == "BAD_REQUEST"
    assert "over the maximum of" in costly["errors"][0]["message"]


def test_syntax_error_is_bad_request(server_url, viewer):
    response = post(server_url, "{ auditEvents(", authorization=viewer)

    # AppSync answers GraphQL errors with 200, where Ariadne alone would use 400.
    assert response.status_code == 200
    assert response.json()["errors"][0]["errorType"] == "BAD_REQUEST"


def test_two_authorization_headers_are_unauthorized(server_url, events, viewer, keys):
    admin = f"Bearer {token(keys, 'acme', role='admin')}"

    response = httpx.post(
        server_url,
        json={"query": "{ __typename }"},
        headers=[("Authorization", viewer), ("Authorization", admin)],
    )

    assert response.status_code == 401


def test_introspection_in_development(server_url, viewer):
    response = post(server_url, "{ __schema { queryType { name } } }", authorization=viewer)

    assert response.json()["data"] == {"__schema": {"queryType": {"name": "Query"}}}


def test_slow_query_does_not_block_others(server_url, events, audit_db, viewer):
    import threading

    # A SELECT waits for an ACCESS EXCLUSIVE lock that another session holds.
    blocker = audit_db.database
    with blocker.connect_as(blocker.superuser) as lock_holder:
        lock_holder.run("BEGIN")
        lock_holder.run("LOCK TABLE audit.events IN ACCESS EXCLUSIVE MODE")
        slow = threading.Thread(
            target=post, args=(server_url, EVENTS_QUERY, {"filter": window()}, viewer)
        )
        slow.start()
        time.sleep(0.5)
        started = time.monotonic()
        quick = post(server_url, "{ __typename }", authorization=viewer)
        elapsed = time.monotonic() - started
        lock_holder.run("ROLLBACK")
    slow.join(timeout=30)

    # Blocked behind the slow query, it would wait for the lock, which is only released
    # after it returns. The bound is generous, so that a loaded machine does not fail it.
    assert quick.json() == {"data": {"__typename": "Query"}}
    assert elapsed < 20


def test_oversized_body_is_rejected(server_url):
    response = httpx.post(
        server_url,
        content=b"{" + b" " * 1_100_000 + b"}",
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 413


def test_deeply_nested_body_is_rejected(server_url):
    nested = "[" * 100_000 + "]" * 100_000
    body = f'{{"query": "{{ __typename }}", "variables": {{"v": {nested}}}}}'

    response = httpx.post(
        server_url, content=body.encode(), headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["errorType"] == "BAD_REQUEST"
    assert "nested too deeply" in response.json()["errors"][0]["message"]


def test_upload_is_rejected(server_url):
    response = httpx.post(server_url, files={"file": ("a.txt", b"x")})

    assert response.status_code == 415


def test_too_many_tokens_is_rejected(server_url, viewer):
    query = "{ " + " ".join("__typename" for _ in range(6000)) + " }"

    response = post(server_url, query, authorization=viewer)

    assert response.json()["errors"][0]["errorType"] == "BAD_REQUEST"
    assert "token" in response.json()["errors"][0]["message"].lower()


# -- abuse: each request rejected with a clear error, the API still serving others ----------

DEEP_QUERY = (
    "{ __schema { types { fields { type { ofType { ofType { ofType { ofType"
    " { ofType { name } } } } } } } } } }"
)
NODE = "edges { node { eventId occurredAt action actor { id name } original context } }"


def alias_bomb(count: int = 40) -> str:
    """Many aliased reads, each small enough that the token limit is not what stops them."""
    fields = " ".join(
        f"a{i}: auditEvents(filter: $f, first: 1) {{ edges {{ cursor }} }}" for i in range(count)
    )
    return f"query($f: AuditEventFilter!) {{ {fields} }}"


def costly_query() -> str:
    fields = "".join(f" p{i}: auditEvents(filter: $f, first: $n) {{ {NODE} }}" for i in range(5))
    return "query($f: AuditEventFilter!, $n: Int) {" + fields + " }"


def abuse_requests() -> list[tuple[str, dict, str]]:
    """(name, JSON request body, text the error message must contain) for each abuse."""
    return [
        ("deep", {"query": DEEP_QUERY}, "fields deep"),
        ("aliases", {"query": alias_bomb(), "variables": {"f": window()}}, "aliases"),
        (
            "huge first",
            {"query": EVENTS_QUERY, "variables": {"filter": window(), "first": 1_000_000}},
            "maximum",
        ),
        (
            "first beyond Int",
            {"query": EVENTS_QUERY, "variables": {"filter": window(), "first": 2**40}},
            # The cost rule runs before variables are coerced, so it rejects this first.
            "over the maximum of",
        ),
        (
            "first literal beyond Int",
            {
                "query": '{ auditEvents(filter: {tenantId: "acme", from: "2026-01-01T00:00:00Z",'
                ' to: "2026-01-02T00:00:00Z"}, first: 99999999999) { edges { cursor } } }'
            },
            "Int cannot represent",
        ),
        (
            "costly variables",
            {"query": costly_query(), "variables": {"f": window(), "n": 500}},
            "over the maximum of",
        ),
        (
            "token flood",
            {"query": "{ " + " ".join("__typename" for _ in range(6000)) + " }"},
            "token",
        ),
    ]


@pytest.mark.parametrize(
    ("request_body", "expected"),
    [(body, expected) for _, body, expected in abuse_requests()],
    ids=[name for name, _, _ in abuse_requests()],
)
def test_abusive_query_is_rejected(server_url, events, viewer, request_body, expected):
    response = httpx.post(server_url, json=request_body, headers={"Authorization": viewer})

    errors = response.json()["errors"]
    assert response.status_code == 200
    assert response.json().get("data") is None
    assert errors[0]["errorType"] == "BAD_REQUEST"
    assert expected in errors[0]["message"]
    assert "Traceback" not in response.text


def test_batched_operations_are_rejected(server_url, viewer):
    batch = [{"query": "{ __typename }"}] * 100

    response = httpx.post(server_url, json=batch, headers={"Authorization": viewer})

    assert response.status_code == 200
    assert response.json()["errors"][0]["errorType"] == "BAD_REQUEST"


def test_normal_query_succeeds_under_abuse(server_url, events, viewer):
    import threading

    stop = threading.Event()
    abuse_results: list[tuple[str, int, str]] = []
    oversized = b'{"query": "' + b" " * 1_100_000 + b'"}'

    def abuse() -> None:
        with httpx.Client(timeout=30) as client:
            while not stop.is_set():
                for name, body, _ in abuse_requests():
                    response = client.post(server_url, json=body, headers={"Authorization": viewer})
                    abuse_results.append((name, response.status_code, response.text))
                response = client.post(
                    server_url,
                    content=oversized,
                    headers={"Authorization": viewer, "Content-Type": "application/json"},
                )
                abuse_results.append(("oversized body", response.status_code, response.text))

    attackers = [threading.Thread(target=abuse) for _ in range(3)]
    for attacker in attackers:
        attacker.start()
    normal = []
    try:
        for _ in range(10):
            started = time.monotonic()
            response = post(server_url, EVENTS_QUERY, {"filter": window(), "first": 2}, viewer)
            normal.append((response.json(), time.monotonic() - started))
    finally:
        stop.set()
        for attacker in attackers:
            attacker.join(timeout=60)

    for result, seconds in normal:
        assert "errors" not in result
        assert len(result["data"]["auditEvents"]["edges"]) == 2
        assert seconds < 20  # generous: a loaded 2-core CI machine is slow, not blocked
    assert len(abuse_results) >= 7
    for name, status, text in abuse_results:
        expected_status = 413 if name == "oversized body" else 200
        assert status == expected_status, (name, text[:200])
        assert '"data":{' not in text.replace(" ", ""), name
