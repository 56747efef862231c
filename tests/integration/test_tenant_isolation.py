"""Nobody reads another tenant's events: through the API's checks, or PostgreSQL's row-level security."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from graphql_support import EVENTS_QUERY, NOW, caller, error_types, execute, window

pytestmark = pytest.mark.integration

SECRET = "globex-secret-action"
COUNTS = (
    "query($f: AuditEventFilter!) { auditEventCounts(filter: $f, groupBy: ACTION) { key count } }"
)
ONE = (
    "query($t: String!, $e: String!, $at: AWSDateTime!)"
    " { auditEvent(tenantId: $t, eventId: $e, occurredAt: $at) { eventId action } }"
)


PARALLEL_PLAN_SETTINGS = (
    "parallel_setup_cost = 0",
    "parallel_tuple_cost = 0",
    "min_parallel_table_scan_size = 0",
    "min_parallel_index_scan_size = 0",
    "max_parallel_workers_per_gather = 2",
)


@pytest.fixture
def two_tenants(api_environment, insert_events, audit_db):
    insert_events(
        [
            {"tenant_id": "acme", "event_id": "a1", "occurred_at": NOW},
            {"tenant_id": "globex", "event_id": "g1", "occurred_at": NOW, "action": SECRET},
        ]
    )
    audit_db.execute(
        "INSERT INTO audit.rejected_events (reason, message, raw_body, body_sha256, tenant_id,"
        " last_message_id) VALUES ('schema_violation', 'm', 'globex body', sha256('g'), 'globex', 'm1'),"
        " ('schema_violation', 'm', 'acme body', sha256('a'), 'acme', 'm2')"
    )


def leaks(result: dict) -> bool:
    text = json.dumps(result)
    return SECRET in text or "g1" in text


def test_filter_naming_other_tenant(two_tenants):
    result = execute(EVENTS_QUERY, {"filter": window("globex")}, caller("acme"))

    assert error_types(result) == ["FORBIDDEN"]
    assert not leaks(result)


def test_cursor_issued_to_other_tenant(two_tenants):
    admin = caller("acme", role="admin")
    globex_page = execute(EVENTS_QUERY, {"filter": window("globex"), "first": 1}, admin)
    cursor = globex_page["data"]["auditEvents"]["edges"][0]["cursor"]

    result = execute(EVENTS_QUERY, {"filter": window("acme"), "after": cursor}, caller("acme"))

    assert error_types(result) == ["BAD_CURSOR"]
    assert not leaks(result)


def test_id_lookup_of_other_tenant(two_tenants):
    result = execute(ONE, {"t": "globex", "e": "g1", "at": NOW.isoformat()}, caller("acme"))

    assert error_types(result) == ["FORBIDDEN"]
    assert not leaks(result)


def test_id_of_other_tenant_under_own_tenant(two_tenants):
    result = execute(ONE, {"t": "acme", "e": "g1", "at": NOW.isoformat()}, caller("acme"))

    assert result == {"data": {"auditEvent": None}}


def test_counts_of_other_tenant(two_tenants):
    result = execute(COUNTS, {"f": window("globex")}, caller("acme"))

    assert error_types(result) == ["FORBIDDEN"]
    assert not leaks(result)


def test_several_tenants_must_name_one(two_tenants):
    both = caller("acme", "globex")

    acme = execute(EVENTS_QUERY, {"filter": window("acme")}, both)
    globex = execute(EVENTS_QUERY, {"filter": window("globex")}, both)

    assert [e["node"]["eventId"] for e in acme["data"]["auditEvents"]["edges"]] == ["a1"]
    assert [e["node"]["eventId"] for e in globex["data"]["auditEvents"]["edges"]] == ["g1"]


def test_query_without_tenant_condition_sees_one_tenant(two_tenants):
    from graphql_api import context

    database = context.database()

    events = database.fetch("acme", "SELECT tenant_id, event_id FROM audit.events")
    rejected = database.fetch("acme", "SELECT tenant_id FROM audit.rejected_events")

    assert events == [["acme", "a1"]]
    assert rejected == [["acme"]]


def test_reader_without_tenant_setting_sees_nothing(two_tenants, audit_db):
    with audit_db.connect_as(audit_db.reader) as reader:
        events = reader.run("SELECT count(*) FROM audit.events")
        rejected = reader.run("SELECT count(*) FROM audit.rejected_events")

    assert events == [[0]]
    assert rejected == [[0]]


@pytest.mark.parametrize(
    "setting", ["not json", '{"acme": 1}', "[]", '"acme"', "", "[1]", "[null]", '[["acme"]]']
)
def test_invalid_tenant_setting_sees_nothing(two_tenants, audit_db, setting):
    with audit_db.connect_as(audit_db.reader) as reader:
        reader.run("BEGIN")
        reader.run("SELECT set_config('audit.tenant_ids', :value, true)", value=setting)
        events = reader.run("SELECT count(*) FROM audit.events")
        reader.run("ROLLBACK")

    assert events == [[0]]


def test_only_string_tenants_count(two_tenants, audit_db):
    with audit_db.connect_as(audit_db.reader) as reader:
        reader.run("BEGIN")
        reader.run("SELECT set_config('audit.tenant_ids', '[\"acme\", 7, {\"globex\": 1}]', true)")
        tenants = reader.run("SELECT DISTINCT tenant_id FROM audit.events")
        reader.run("ROLLBACK")

    assert tenants == [["acme"]]


def test_tenant_setting_ends_with_transaction(two_tenants, audit_db):
    with audit_db.connect_as(audit_db.reader) as reader:
        reader.run("BEGIN")
        reader.run("SELECT set_config('audit.tenant_ids', '[\"acme\", \"globex\"]', true)")
        inside = reader.run("SELECT count(*) FROM audit.events")
        reader.run("COMMIT")
        after = reader.run("SELECT count(*) FROM audit.events")

    assert inside == [[2]]
    assert after == [[0]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("SELECT count(*) FROM audit.events", [[1]]),
        ("SELECT tenant_id FROM audit.events ORDER BY occurred_at DESC", [["acme"]]),
    ],
)
def test_tenant_filter_keeps_queries_serial(two_tenants, audit_db, query, expected):
    # Costs of zero make PostgreSQL plan parallel workers even for a few rows, as it
    # does on its own for large tables. The policy's function cannot run in a
    # parallel plan, so the query must be planned without one and succeed.
    with audit_db.connect_as(audit_db.reader) as reader:
        reader.run("BEGIN")
        for setting in PARALLEL_PLAN_SETTINGS:
            reader.run(f"SET LOCAL {setting}")
        reader.run("SELECT set_config('audit.tenant_ids', '[\"acme\"]', true)")
        plan = "\n".join(row[0] for row in reader.run(f"EXPLAIN {query}"))
        rows = reader.run(query)
        reader.run("ROLLBACK")

    assert "Gather" not in plan
    assert rows == expected


def test_reader_cannot_read_partitions_directly(two_tenants, audit_db):
    import pg8000.native

    with audit_db.connect_as(audit_db.reader) as reader:
        with pytest.raises(pg8000.native.DatabaseError) as raised:
            reader.run("SELECT count(*) FROM audit.events_default")

    assert raised.value.args[0]["C"] == "42501"


def test_viewer_does_not_see_reads(api_environment, insert_events):
    insert_events(
        [
            {
                "tenant_id": "acme",
                "event_id": "r1",
                "occurred_at": NOW,
                "action": "audit_log.viewed",
            },
            {"tenant_id": "acme", "event_id": "e1", "occurred_at": NOW - timedelta(seconds=1)},
        ]
    )

    viewer = execute(EVENTS_QUERY, {"filter": window()}, caller("acme"))
    auditor = execute(EVENTS_QUERY, {"filter": window()}, caller("acme", role="auditor"))
    viewer_counts = execute(COUNTS, {"f": window()}, caller("acme"))
    viewer_lookup = execute(ONE, {"t": "acme", "e": "r1", "at": NOW.isoformat()}, caller("acme"))

    assert [e["node"]["eventId"] for e in viewer["data"]["auditEvents"]["edges"]] == ["e1"]
    assert [e["node"]["eventId"] for e in auditor["data"]["auditEvents"]["edges"]] == ["r1", "e1"]
    assert viewer_counts["data"]["auditEventCounts"] == [{"key": "user.created", "count": 1}]
    assert viewer_lookup == {"data": {"auditEvent": None}}


def test_viewer_reads_original_as_null(two_tenants):
    query = "query($f: AuditEventFilter!) { auditEvents(filter: $f) { edges { node { eventId original } } } }"

    viewer = execute(query, {"f": window()}, caller("acme"))
    auditor = execute(query, {"f": window()}, caller("acme", role="auditor"))

    assert viewer["data"]["auditEvents"]["edges"][0]["node"] == {"eventId": "a1", "original": None}
    assert auditor["data"]["auditEvents"]["edges"][0]["node"]["original"] == "{}"


def test_viewer_cursor_does_not_serve_auditor(two_tenants):
    page = execute(EVENTS_QUERY, {"filter": window(), "first": 1}, caller("acme"))
    cursor = page["data"]["auditEvents"]["pageInfo"]["endCursor"]

    result = execute(
        EVENTS_QUERY, {"filter": window(), "after": cursor}, caller("acme", role="auditor")
    )

    assert error_types(result) == ["BAD_CURSOR"]
