"""What the writer and reader roles may and may not do."""

from __future__ import annotations

import pg8000.native
import pytest

pytestmark = pytest.mark.integration

INSERT_EVENT = (
    "INSERT INTO audit.events (tenant_id, event_id, occurred_at, source, detail_type, action,"
    " outcome, actor_type, actor_id, original, content_sha256)"
    " VALUES ('t', 'e', now(), 's', 'd', 'a.b', 'success', 'user', 'u', '{}', sha256('x'))"
)


def sqlstate_of(connection: pg8000.native.Connection, sql: str) -> str | None:
    """Run sql and return the SQLSTATE it failed with, or None if it succeeded."""
    try:
        connection.run(sql)
    except pg8000.native.DatabaseError as error:
        return error.args[0]["C"]
    return None


def test_writer_can_insert(audit_db):
    with audit_db.connect_as(audit_db.writer) as writer:
        assert sqlstate_of(writer, INSERT_EVENT) is None


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM audit.events",
        "SELECT count(*) FROM audit.events",
        "SELECT tenant_id FROM audit.events_default",
        "UPDATE audit.events SET action = 'x.y'",
        "DELETE FROM audit.events",
        "TRUNCATE audit.events",
        "SELECT * FROM audit.rejected_events",
        "DELETE FROM audit.rejected_events",
        "SELECT * FROM audit.duplicate_deliveries",
        "SELECT * FROM partman.part_config",
        INSERT_EVENT.replace("content_sha256)", "content_sha256, ingested_at)").replace(
            "sha256('x'))", "sha256('x'), '2000-01-01')"
        ),
        "INSERT INTO audit.rejected_events"
        " (reason, message, raw_body, body_sha256, last_message_id)"
        " VALUES ('r', 'm', 'b', sha256('b'), 'id')",
    ],
)
def test_writer_cannot_read_or_change(audit_db, sql):
    with audit_db.connect_as(audit_db.writer) as writer:
        assert sqlstate_of(writer, sql) == "42501"


def test_reader_can_select(audit_db):
    with audit_db.connect_as(audit_db.reader) as reader:
        assert sqlstate_of(reader, "SELECT * FROM audit.events") is None
        assert sqlstate_of(reader, "SELECT * FROM audit.rejected_events") is None
        assert sqlstate_of(reader, "SELECT * FROM audit.duplicate_deliveries") is None


@pytest.mark.parametrize(
    "sql",
    [
        INSERT_EVENT,
        "UPDATE audit.events SET action = 'x.y'",
        "DELETE FROM audit.events",
        'SELECT audit.record_rejected_events(\'[{"reason": "r", "message": "m",'
        ' "raw_body": "b", "message_id": "id"}]\')',
        "SELECT audit.record_duplicate_deliveries('[]')",
        "SELECT audit.retention_cutoff()",
        "CALL audit.run_maintenance()",
    ],
)
def test_reader_cannot_write(audit_db, sql):
    with audit_db.connect_as(audit_db.reader) as reader:
        assert sqlstate_of(reader, sql) == "42501"


def test_writer_cannot_count_unknown_duplicates(audit_db):
    fake = '[{"tenant_id": "t", "event_id": "nope", "occurred_at": "2026-01-01T00:00:00Z",'
    fake += ' "message_id": "m"}]'
    with audit_db.connect_as(audit_db.writer) as writer:
        writer.run("SELECT audit.record_duplicate_deliveries(CAST(:rows AS jsonb))", rows=fake)

    assert audit_db.scalar("SELECT count(*) FROM audit.duplicate_deliveries") == 0


def test_redriver_reads_and_deletes_rejections(audit_db):
    audit_db.execute(
        "INSERT INTO audit.rejected_events (reason, message, raw_body, body_sha256,"
        " tenant_id, last_message_id) VALUES ('r', 'm', 'b', sha256('b'), NULL, 'id')"
    )
    with audit_db.connect_as(audit_db.database.redriver) as redriver:
        # No tenant setting is needed: the redrive tool works across tenants.
        assert redriver.run("SELECT count(*) FROM audit.rejected_events") == [[1]]
        assert sqlstate_of(redriver, "DELETE FROM audit.rejected_events") is None

    assert audit_db.scalar("SELECT count(*) FROM audit.rejected_events") == 0


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM audit.events",
        "DELETE FROM audit.events",
        "SELECT * FROM audit.duplicate_deliveries",
        "UPDATE audit.rejected_events SET seen_count = 0",
        "INSERT INTO audit.rejected_events"
        " (reason, message, raw_body, body_sha256, last_message_id)"
        " VALUES ('r', 'm', 'b', sha256('b'), 'id')",
        INSERT_EVENT,
    ],
)
def test_redriver_cannot_touch_events(audit_db, sql):
    with audit_db.connect_as(audit_db.database.redriver) as redriver:
        assert sqlstate_of(redriver, sql) == "42501"
