"""The GraphQL API's queries against a real PostgreSQL, executed in-process."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from graphql_support import EVENTS_QUERY, NOW, caller, error_types, execute, window

pytestmark = pytest.mark.integration

ALL_FIELDS = """
query One($tenantId: String!, $eventId: String!, $occurredAt: AWSDateTime!) {
  auditEvent(tenantId: $tenantId, eventId: $eventId, occurredAt: $occurredAt) {
    tenantId eventId occurredAt source detailType action outcome
    actor { type id name ip userAgent }
    target { type id name }
    changes { field old new }
    context metadata original ingestedAt
  }
}
"""


def event_ids(result: dict) -> list[str]:
    return [edge["node"]["eventId"] for edge in result["data"]["auditEvents"]["edges"]]


@pytest.fixture
def ten_events(api_environment, insert_events):
    insert_events(
        [
            {
                "tenant_id": "acme",
                "event_id": f"e{n}",
                "occurred_at": NOW - timedelta(minutes=n),
                "action": "user.role.granted" if n % 2 else "invoice.paid",
                "actor_id": f"user-{n % 3}",
                "target_type": "user" if n % 2 else None,
                "target_id": f"t{n}" if n % 2 else None,
                "source": "com.example.identity" if n % 2 else "com.example.billing",
                "outcome": "denied" if n == 3 else "success",
            }
            for n in range(10)
        ]
        + [{"tenant_id": "globex", "event_id": "g1", "occurred_at": NOW}]
    )


def test_events_newest_first(ten_events):
    result = execute(EVENTS_QUERY, {"filter": window()})

    assert "errors" not in result
    assert event_ids(result) == [f"e{n}" for n in range(10)]
    assert result["data"]["auditEvents"]["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"actions": ["invoice.paid"]}, ["e0", "e2", "e4", "e6", "e8"]),
        ({"actionPrefix": "user.role"}, ["e1", "e3", "e5", "e7", "e9"]),
        ({"actionPrefix": "user_"}, []),
        ({"actorIds": ["user-0"]}, ["e0", "e3", "e6", "e9"]),
        ({"actorTypes": ["USER"]}, [f"e{n}" for n in range(10)]),
        ({"actorTypes": ["SERVICE"]}, []),
        ({"targetTypes": ["user"], "targetIds": ["t1", "t9"]}, ["e1", "e9"]),
        ({"outcomes": ["DENIED"]}, ["e3"]),
        ({"sources": ["com.example.billing"]}, ["e0", "e2", "e4", "e6", "e8"]),
    ],
)
def test_filters(ten_events, extra, expected):
    result = execute(EVENTS_QUERY, {"filter": window(**extra)})

    assert "errors" not in result, result
    assert event_ids(result) == expected


def test_pages_follow_cursor(ten_events):
    first = execute(EVENTS_QUERY, {"filter": window(), "first": 4})
    cursor = first["data"]["auditEvents"]["pageInfo"]["endCursor"]
    second = execute(EVENTS_QUERY, {"filter": window(), "first": 4, "after": cursor})
    cursor = second["data"]["auditEvents"]["pageInfo"]["endCursor"]
    third = execute(EVENTS_QUERY, {"filter": window(), "first": 4, "after": cursor})

    assert event_ids(first) == ["e0", "e1", "e2", "e3"]
    assert event_ids(second) == ["e4", "e5", "e6", "e7"]
    assert event_ids(third) == ["e8", "e9"]
    assert first["data"]["auditEvents"]["pageInfo"]["hasNextPage"] is True
    assert third["data"]["auditEvents"]["pageInfo"]["hasNextPage"] is False


def test_event_by_key_has_every_field(api_environment, insert_events):
    occurred_at = datetime(2026, 11, 30, 23, 59, 59, 123456, tzinfo=UTC)
    insert_events(
        [
            {
                "tenant_id": "acme",
                "event_id": "full",
                "occurred_at": occurred_at,
                "actor_name": "Zoë",
                "actor_ip": "198.51.100.7",
                "actor_user_agent": "curl/8",
                "target_type": "user",
                "target_id": "u-2",
                "target_name": "李",
                "changes": json.dumps([{"field": "role", "old": None, "new": {"a": 1}}]),
                "context": json.dumps({"requestId": "r-1"}),
                "metadata": json.dumps({"n": 1.5}),
                "original": json.dumps({"id": "envelope"}),
            }
        ]
    )

    result = execute(
        ALL_FIELDS,
        {"tenantId": "acme", "eventId": "full", "occurredAt": "2026-12-01T00:59:59.123456+01:00"},
        caller("acme", role="auditor"),
    )

    event = result["data"]["auditEvent"]
    assert "errors" not in result, result
    assert event["occurredAt"] == "2026-11-30T23:59:59.123456Z"
    assert event["outcome"] == "SUCCESS"
    assert event["actor"] == {
        "type": "USER",
        "id": "user-1",
        "name": "Zoë",
        "ip": "198.51.100.7",
        "userAgent": "curl/8",
    }
    assert event["target"] == {"type": "user", "id": "u-2", "name": "李"}
    # A JSON null value is the JSON text "null"; a missing one would be a GraphQL null.
    assert event["changes"] == [{"field": "role", "old": "null", "new": '{"a": 1}'}]
    assert json.loads(event["context"]) == {"requestId": "r-1"}
    assert json.loads(event["metadata"]) == {"n": 1.5}
    assert json.loads(event["original"]) == {"id": "envelope"}
    assert event["ingestedAt"].endswith("Z")


def test_event_without_target_has_null_target(ten_events):
    result = execute(
        'query($at: AWSDateTime!) { auditEvent(tenantId: "acme", eventId: "e0", occurredAt: $at)'
        " { eventId target { id } } }",
        {"at": (NOW).isoformat()},
    )

    assert result["data"]["auditEvent"] == {"eventId": "e0", "target": None}


def test_unknown_event_is_null(ten_events):
    result = execute(
        '{ auditEvent(tenantId: "acme", eventId: "nope", occurredAt: "2026-01-01T00:00:00Z")'
        " { eventId } }"
    )

    assert result == {"data": {"auditEvent": None}}


@pytest.mark.parametrize(
    ("group", "expected"),
    [
        ("ACTION", [{"key": "invoice.paid", "count": 5}, {"key": "user.role.granted", "count": 5}]),
        ("OUTCOME", [{"key": "SUCCESS", "count": 9}, {"key": "DENIED", "count": 1}]),
        ("TARGET_TYPE", [{"key": "user", "count": 5}, {"key": None, "count": 5}]),
    ],
)
def test_counts(ten_events, group, expected):
    result = execute(
        "query($f: AuditEventFilter!, $g: AuditEventGroup!)"
        " { auditEventCounts(filter: $f, groupBy: $g) { key count } }",
        {"f": window(), "g": group},
    )

    assert result["data"]["auditEventCounts"] == expected


def test_counts_by_day_in_date_order(api_environment, insert_events):
    insert_events(
        [
            {"tenant_id": "acme", "event_id": "late", "occurred_at": "2026-11-20T23:59:59.999999Z"},
            {"tenant_id": "acme", "event_id": "next", "occurred_at": "2026-11-21T00:00:00+00:00"},
            {"tenant_id": "acme", "event_id": "tz", "occurred_at": "2026-11-21T01:30:00+02:00"},
        ]
    )

    result = execute(
        "query($f: AuditEventFilter!) { auditEventCounts(filter: $f, groupBy: DAY) { key count } }",
        {"f": window(end=datetime(2026, 11, 25, tzinfo=UTC))},
    )

    assert result["data"]["auditEventCounts"] == [
        {"key": "2026-11-20", "count": 2},
        {"key": "2026-11-21", "count": 1},
    ]


def test_microseconds_survive_cursor(api_environment, insert_events):
    base = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)
    insert_events(
        [
            {
                "tenant_id": "acme",
                "event_id": f"m{n}",
                "occurred_at": base + timedelta(microseconds=n),
            }
            for n in range(4)
        ]
    )
    variables = {"filter": window(end=base + timedelta(days=1)), "first": 1}

    seen = []
    after = None
    while True:
        page = execute(EVENTS_QUERY, {**variables, "after": after})["data"]["auditEvents"]
        seen += [(edge["node"]["eventId"], edge["node"]["occurredAt"]) for edge in page["edges"]]
        after = page["pageInfo"]["endCursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break

    assert seen == [
        ("m3", "2026-11-30T12:00:00.000003Z"),
        ("m2", "2026-11-30T12:00:00.000002Z"),
        ("m1", "2026-11-30T12:00:00.000001Z"),
        ("m0", "2026-11-30T12:00:00.000000Z"),
    ]


def test_other_tenant_is_forbidden(ten_events):
    result = execute(EVENTS_QUERY, {"filter": window("globex")})

    assert error_types(result) == ["FORBIDDEN"]
    assert "globex" in result["errors"][0]["message"]
    assert result["data"] is None


def test_admin_may_name_any_tenant(ten_events):
    result = execute(EVENTS_QUERY, {"filter": window("globex")}, caller("acme", role="admin"))

    assert event_ids(result) == ["g1"]


def test_cursor_of_other_filter_is_rejected(ten_events):
    first = execute(EVENTS_QUERY, {"filter": window(), "first": 2})
    cursor = first["data"]["auditEvents"]["pageInfo"]["endCursor"]

    result = execute(
        EVENTS_QUERY, {"filter": window(actions=["invoice.paid"]), "first": 2, "after": cursor}
    )

    assert error_types(result) == ["BAD_CURSOR"]
    assert "another tenant or filter" in result["errors"][0]["message"]


def test_cursor_of_other_tenant_is_rejected(ten_events):
    admin = caller("acme", "globex", role="admin")
    globex = execute(EVENTS_QUERY, {"filter": window("globex"), "first": 1}, admin)
    cursor = globex["data"]["auditEvents"]["edges"][0]["cursor"]

    result = execute(EVENTS_QUERY, {"filter": window(), "first": 2, "after": cursor})

    assert error_types(result) == ["BAD_CURSOR"]


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "a.b", "", "x" * 5000, "eyJ2IjoxfQ.AAAAAAAAAAAAAAAAAAAAAA"],
)
def test_malformed_cursor_is_rejected(ten_events, cursor):
    result = execute(EVENTS_QUERY, {"filter": window(), "after": cursor})

    assert error_types(result) == ["BAD_CURSOR"]


def test_tampered_cursor_is_rejected(ten_events):
    first = execute(EVENTS_QUERY, {"filter": window(), "first": 2})
    cursor = first["data"]["auditEvents"]["pageInfo"]["endCursor"]
    payload, signature = cursor.split(".")
    tampered = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1] + "." + signature

    result = execute(EVENTS_QUERY, {"filter": window(), "first": 2, "after": tampered})

    assert error_types(result) == ["BAD_CURSOR"]
    assert "signature" in result["errors"][0]["message"]


@pytest.mark.parametrize(
    ("filter_change", "named"),
    [
        ({"from": (NOW + timedelta(days=1)).isoformat()}, "earlier than"),
        ({"from": (NOW - timedelta(days=200)).isoformat()}, "maximum window"),
        ({"actionPrefix": ""}, "actionPrefix"),
        ({"actions": [f"a{n}.b" for n in range(101)]}, "at most 100"),
    ],
)
def test_bad_filter_is_rejected(ten_events, filter_change, named):
    result = execute(EVENTS_QUERY, {"filter": {**window(), **filter_change}})

    assert error_types(result) == ["BAD_FILTER"]
    assert named in result["errors"][0]["message"]


@pytest.mark.parametrize("first", [0, -1, 501, None])
def test_page_size_out_of_range_is_rejected(ten_events, first):
    result = execute(EVENTS_QUERY, {"filter": window(), "first": first})

    sent = "null" if first is None else str(first)
    assert error_types(result) == ["BAD_REQUEST"]
    assert f"between 1 and 500, not {sent}" in result["errors"][0]["message"]


def test_time_without_offset_is_rejected(ten_events):
    result = execute(EVENTS_QUERY, {"filter": {**window(), "from": "2026-11-01T00:00:00"}})

    assert error_types(result) == ["BAD_REQUEST"]
    assert "AWSDateTime" in result["errors"][0]["message"]


def test_missing_caller_is_forbidden(ten_events):
    from ariadne import graphql_sync

    from graphql_api import context
    from graphql_api.limits import validation_rules
    from graphql_api.schema import schema
    from graphql_api.server import format_error

    _, result = graphql_sync(
        schema,
        {"query": EVENTS_QUERY, "variables": {"filter": window()}},
        context_value=context.request_context(None),
        validation_rules=validation_rules(schema, {"filter": window()}),
        error_formatter=format_error,
    )

    assert error_types(result) == ["FORBIDDEN"]


def test_database_down_is_internal_error(ten_events, monkeypatch, unused_port):
    from graphql_api import context

    monkeypatch.setenv("DB_PORT", str(unused_port))
    context.reset()

    result = execute(EVENTS_QUERY, {"filter": window()})

    assert error_types(result) == ["INTERNAL"]
    assert "internal error" in result["errors"][0]["message"]
    assert "SELECT" not in json.dumps(result)
    assert "Traceback" not in json.dumps(result)


def test_json_numbers_keep_their_digits(api_environment, insert_events):
    metadata = '{"big": 12345678901234567890.123456789, "negative_zero": -0.0, "tiny": 1e-400}'
    insert_events(
        [{"tenant_id": "acme", "event_id": "n", "occurred_at": NOW, "metadata": metadata}]
    )

    result = execute(
        'query($at: AWSDateTime!) { auditEvent(tenantId: "acme", eventId: "n", occurredAt: $at) { metadata } }',
        {"at": NOW.isoformat()},
    )

    text = result["data"]["auditEvent"]["metadata"]
    assert "12345678901234567890.123456789" in text
    # jsonb stores exact decimals, without a negative zero.
    assert '"negative_zero": 0.0' in text
    assert text.count("0") > 400


def test_actor_typename_alone(ten_events):
    result = execute(
        "query($f: AuditEventFilter!) { auditEvents(filter: $f, first: 1) { edges { node { actor { __typename } target { __typename } } } } }",
        {"f": window()},
    )

    assert result["data"]["auditEvents"]["edges"][0]["node"] == {
        "actor": {"__typename": "Actor"},
        "target": None,
    }


@pytest.mark.parametrize(
    "change",
    [{"actionPrefix": "a\u0000"}, {"actions": ["ok.action", "b\ud800"]}, {"tenantId": "x\u0000"}],
)
def test_unstorable_characters_in_filter(ten_events, change):
    result = execute(EVENTS_QUERY, {"filter": {**window(), **change}})

    assert error_types(result) == ["BAD_FILTER"]
    assert "NUL character or a lone surrogate" in result["errors"][0]["message"]


def test_unstorable_event_id(ten_events):
    result = execute(
        'query($at: AWSDateTime!) { auditEvent(tenantId: "acme", eventId: "a\\u0000", occurredAt: $at) { eventId } }',
        {"at": NOW.isoformat()},
    )

    assert error_types(result) == ["BAD_REQUEST"]


def test_long_event_id_cursor_round_trips(api_environment, insert_events):
    awkward = "\u0001" * 256
    insert_events(
        [
            {"tenant_id": "acme", "event_id": awkward, "occurred_at": NOW},
            {"tenant_id": "acme", "event_id": "next", "occurred_at": NOW - timedelta(seconds=1)},
        ]
    )

    first = execute(EVENTS_QUERY, {"filter": window(), "first": 1})
    cursor = first["data"]["auditEvents"]["pageInfo"]["endCursor"]
    second = execute(EVENTS_QUERY, {"filter": window(), "first": 1, "after": cursor})

    assert len(cursor) > 2048
    assert event_ids(second) == ["next"]


def test_cursor_with_junk_characters_is_rejected(ten_events):
    first = execute(EVENTS_QUERY, {"filter": window(), "first": 2})
    cursor = first["data"]["auditEvents"]["pageInfo"]["endCursor"]

    result = execute(EVENTS_QUERY, {"filter": window(), "after": cursor[:5] + "!!!" + cursor[5:]})

    assert error_types(result) == ["BAD_CURSOR"]
