"""The AppSync direct Lambda resolver handler, with AppSync's event shapes, single and batch."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from conftest import LambdaContext
from graphql_support import NOW, window

pytestmark = pytest.mark.integration

VIEWER = {"sub": "user-7", "tenants": json.dumps(["acme"]), "role": "viewer"}
PAGE_SELECTION = [
    "edges",
    "edges/cursor",
    "edges/node",
    "edges/node/eventId",
    "edges/node/occurredAt",
    "edges/node/outcome",
    "edges/node/actor",
    "edges/node/actor/type",
    "pageInfo",
    "pageInfo/hasNextPage",
    "pageInfo/endCursor",
]


def appsync_event(
    field: str,
    arguments: dict,
    selection: list[str],
    resolver_context: dict | None = VIEWER,
    parent: str = "Query",
) -> dict:
    """A direct Lambda resolver event as AppSync sends it for an AWS_LAMBDA-authorized API."""
    return {
        "arguments": arguments,
        "identity": None if resolver_context is None else {"resolverContext": resolver_context},
        "source": None,
        "request": {"headers": {"content-type": "application/json"}, "domainName": None},
        "info": {
            "fieldName": field,
            "parentTypeName": parent,
            "selectionSetList": selection,
            "selectionSetGraphQL": "{ ... }",
            "variables": {},
        },
        "prev": None,
        "stash": {},
    }


@pytest.fixture
def handler(api_environment, insert_events):
    from graphql_api import appsync

    insert_events(
        [
            {"tenant_id": "acme", "event_id": f"e{n}", "occurred_at": NOW - timedelta(seconds=n)}
            for n in range(3)
        ]
    )
    return appsync.lambda_handler


def test_single_page_serialized_as_appsync_json(handler):
    event = appsync_event("auditEvents", {"filter": window(), "first": 2}, PAGE_SELECTION)

    result = handler(event, LambdaContext())

    edges = result["edges"]
    assert [edge["node"]["eventId"] for edge in edges] == ["e0", "e1"]
    assert edges[0]["node"]["occurredAt"].endswith("Z")
    assert edges[0]["node"]["outcome"] == "SUCCESS"
    assert edges[0]["node"]["actor"]["type"] == "USER"
    assert result["pageInfo"]["hasNextPage"] is True
    assert json.dumps(result)


def test_only_selected_fields_are_returned(handler):
    event = appsync_event(
        "auditEvents", {"filter": window()}, ["edges", "edges/node", "edges/node/eventId"]
    )

    node = handler(event, LambdaContext())["edges"][0]["node"]

    assert node == {"eventId": "e0", "occurredAt": node["occurredAt"]}


def test_cursor_from_appsync_continues(handler):
    first = handler(
        appsync_event("auditEvents", {"filter": window(), "first": 1}, PAGE_SELECTION),
        LambdaContext(),
    )
    cursor = first["pageInfo"]["endCursor"]

    second = handler(
        appsync_event(
            "auditEvents", {"filter": window(), "first": 5, "after": cursor}, PAGE_SELECTION
        ),
        LambdaContext(),
    )

    assert [edge["node"]["eventId"] for edge in second["edges"]] == ["e1", "e2"]


def test_event_by_key(handler):
    arguments = {
        "tenantId": "acme",
        "eventId": "e1",
        "occurredAt": (NOW - timedelta(seconds=1)).isoformat(),
    }

    result = handler(
        appsync_event("auditEvent", arguments, ["eventId", "tenantId"]), LambdaContext()
    )

    assert result["eventId"] == "e1"
    assert result["tenantId"] == "acme"


def test_counts(handler):
    event = appsync_event(
        "auditEventCounts", {"filter": window(), "groupBy": "OUTCOME"}, ["key", "count"]
    )

    assert handler(event, LambdaContext()) == [{"key": "SUCCESS", "count": 3}]


def test_error_raises_error_type_class(handler):
    event = appsync_event("auditEvents", {"filter": window(), "after": "forged"}, PAGE_SELECTION)

    with pytest.raises(Exception) as raised:
        handler(event, LambdaContext())

    assert type(raised.value).__name__ == "BAD_CURSOR"
    assert "cursor is malformed" in str(raised.value)


@pytest.mark.parametrize(
    ("event", "error_type"),
    [
        (appsync_event("auditEvents", {"filter": window("globex")}, PAGE_SELECTION), "FORBIDDEN"),
        (appsync_event("auditEvents", {"filter": window()}, PAGE_SELECTION, None), "FORBIDDEN"),
        (
            appsync_event("auditEvents", {"filter": window()}, PAGE_SELECTION, {"sub": "x"}),
            "FORBIDDEN",
        ),
        (appsync_event("deleteEverything", {}, []), "NOT_FOUND"),
        (appsync_event("auditEvents", {"filter": {"tenantId": "acme"}}, []), "BAD_REQUEST"),
        (appsync_event("auditEvents", {"filter": window(), "first": 900}, []), "BAD_REQUEST"),
        (
            appsync_event("auditEvents", {"filter": window(days=400)}, PAGE_SELECTION),
            "BAD_FILTER",
        ),
    ],
)
def test_errors_have_stable_types(handler, event, error_type):
    with pytest.raises(Exception) as raised:
        handler(event, LambdaContext())

    assert type(raised.value).__name__ == error_type
    assert str(raised.value)


def test_batch_returns_item_per_event(handler):
    events = [
        appsync_event("auditEvents", {"filter": window(), "first": 1}, PAGE_SELECTION),
        appsync_event("auditEvents", {"filter": window("globex")}, PAGE_SELECTION),
        appsync_event(
            "auditEventCounts", {"filter": window(), "groupBy": "ACTION"}, ["key", "count"]
        ),
    ]

    results = handler(events, LambdaContext())

    assert len(results) == 3
    assert results[0]["data"]["edges"][0]["node"]["eventId"] == "e0"
    assert results[1] == {
        "data": None,
        "errorMessage": "you may not read tenant 'globex'; ask for one of your tenants",
        "errorType": "FORBIDDEN",
    }
    assert results[2] == {"data": [{"key": "user.created", "count": 3}]}


def test_invalid_argument_names_the_field(handler):
    event = appsync_event("auditEvents", {"filter": {"tenantId": "acme"}}, PAGE_SELECTION)

    with pytest.raises(Exception) as raised:
        handler(event, LambdaContext())

    assert "from" in str(raised.value)


def test_unexpected_error_is_internal(handler, monkeypatch, unused_port):
    from graphql_api import context

    monkeypatch.setenv("DB_PORT", str(unused_port))
    context.reset()

    with pytest.raises(Exception) as raised:
        handler(appsync_event("auditEvents", {"filter": window()}, PAGE_SELECTION), LambdaContext())

    assert type(raised.value).__name__ == "INTERNAL"
    assert "internal error" in str(raised.value)


@pytest.mark.parametrize(
    ("event", "error_type"),
    [
        (appsync_event("auditEvents", {}, PAGE_SELECTION), "BAD_REQUEST"),
        (
            {
                **appsync_event("auditEvents", {"filter": window()}, []),
                "identity": {"resolverContext": "x"},
            },
            "FORBIDDEN",
        ),
        (
            {**appsync_event("auditEvents", {"filter": window()}, []), "arguments": [1]},
            "BAD_REQUEST",
        ),
        ({**appsync_event("auditEvents", {"filter": window()}, []), "info": "x"}, "BAD_REQUEST"),
        ("not an event", "BAD_REQUEST"),
    ],
)
def test_malformed_events_are_client_errors(handler, event, error_type):
    with pytest.raises(Exception) as raised:
        handler(event, LambdaContext())

    assert type(raised.value).__name__ == error_type
