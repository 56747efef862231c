"""The subscriber handler against a real, migrated PostgreSQL."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from publish import wrap_cloudtrail_record
from sample_events import generate_application_events
from samples import application_envelope, cloudtrail_records, valid_detail

from subscriber.config import ConfigurationError

pytestmark = pytest.mark.integration


def app_bodies(count: int, seed: int = 7) -> list[str]:
    return [
        json.dumps(application_envelope(event.detail, id=f"env-{seed}-{i}", source=event.source))
        for i, event in enumerate(generate_application_events(count, seed=seed))
    ]


def failures(response: dict) -> list[str]:
    return [item["itemIdentifier"] for item in response["batchItemFailures"]]


def test_batch_is_stored(subscriber, audit_db):
    response = subscriber.invoke(app_bodies(50))

    assert failures(response) == []
    assert audit_db.scalar("SELECT count(*) FROM audit.events") == 50


def test_stored_row_keeps_every_field(subscriber, audit_db):
    envelope = application_envelope(valid_detail(occurredAt="2026-11-30T18:29:59.000001-05:30"))

    subscriber.invoke([json.dumps(envelope, ensure_ascii=False)])

    row = audit_db.row(
        "SELECT to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), actor_name,"
        " target_name, changes, original = CAST(:original AS jsonb), ingested_at IS NOT NULL"
        " FROM audit.events",
        original=json.dumps(envelope),
    )
    assert row[0] == "2026-11-30 23:59:59.000001"
    assert row[1] == "Zoë Ångström"
    assert row[2] == "李小龙"
    assert row[3] == [{"field": "role", "old": "viewer", "new": "admin"}]
    assert row[4] is True
    assert row[5] is True


def test_copy_special_characters_survive(subscriber, audit_db):
    # COPY's text format gives backslash, tab, newline and carriage return a meaning.
    tricky = "a\\b\tc\nd\re\\N\\\\x"
    detail = valid_detail(
        actor={"type": "user", "id": tricky, "name": tricky}, target={"type": "user", "id": "\\"}
    )
    envelope = application_envelope(detail)

    response = subscriber.invoke([json.dumps(envelope, ensure_ascii=False)])

    assert failures(response) == []
    row = audit_db.row(
        "SELECT actor_id, actor_name, target_id, original = CAST(:original AS jsonb)"
        " FROM audit.events",
        original=json.dumps(envelope),
    )
    assert row[0] == tricky
    assert row[1] == tricky
    assert row[2] == "\\"
    assert row[3] is True


def test_redelivery_is_stored_once(subscriber, audit_db):
    bodies = app_bodies(20)

    first = subscriber.invoke(bodies)
    second = subscriber.invoke(bodies)

    assert failures(first) == []
    assert failures(second) == []
    assert audit_db.scalar("SELECT count(*) FROM audit.events") == 20
    assert audit_db.scalar("SELECT sum(seen_count) FROM audit.duplicate_deliveries") == 20


def test_republished_event_is_duplicate(subscriber, audit_db):
    # The same detail published twice gets two envelope ids and times.
    first = json.dumps(application_envelope(id="first", time="2026-12-01T08:00:00Z"))
    second = json.dumps(application_envelope(id="second", time="2026-12-01T08:00:05Z"))

    subscriber.invoke([first])
    subscriber.invoke([second])

    assert audit_db.scalar("SELECT count(*) FROM audit.events") == 1
    assert audit_db.scalar("SELECT last_message_id FROM audit.duplicate_deliveries") == "m-0"


def test_conflicting_duplicate_is_rejected(subscriber, audit_db):
    original = json.dumps(application_envelope())
    conflicting = json.dumps(application_envelope(valid_detail(action="user.role.revoked")))

    subscriber.invoke([original])
    response = subscriber.invoke([conflicting])

    assert failures(response) == []
    assert audit_db.scalar("SELECT action FROM audit.events") == "user.role.granted"
    rejected = audit_db.row(
        "SELECT reason, raw_body, tenant_id, event_id FROM audit.rejected_events"
    )
    assert rejected == ["conflicting_duplicate", conflicting, "acme-corp", "evt-0001"]


def test_duplicate_and_conflict_within_batch(subscriber, audit_db):
    original = json.dumps(application_envelope(id="a"))
    same = json.dumps(application_envelope(id="b"))
    different = json.dumps(application_envelope(valid_detail(outcome="denied"), id="c"))

    response = subscriber.invoke([original, same, different])

    assert failures(response) == []
    assert audit_db.scalar("SELECT count(*) FROM audit.events") == 1
    assert audit_db.scalar("SELECT seen_count FROM audit.duplicate_deliveries") == 1
    assert audit_db.scalar("SELECT reason FROM audit.rejected_events") == "conflicting_duplicate"


def test_nul_character_rejected_rest_stored(subscriber, audit_db):
    bodies = app_bodies(9)
    poisoned = json.dumps(
        application_envelope(valid_detail(eventId="nul", target={"type": "t", "id": "a\x00b"}))
    )
    bodies.insert(4, poisoned)

    response = subscriber.invoke(bodies)

    assert failures(response) == []
    assert audit_db.scalar("SELECT count(*) FROM audit.events") == 9
    rejected = audit_db.row(
        "SELECT reason, message, raw_body, last_message_id FROM audit.rejected_events"
    )
    assert rejected[0] == "unsupported_character"
    assert rejected[1].startswith("$.detail.target.id")
    assert rejected[2] == poisoned
    assert rejected[3] == "m-4"


def test_rejection_redelivered_counts_again(subscriber, audit_db):
    body = "definitely not json"

    subscriber.invoke([body])
    subscriber.invoke([body])

    assert audit_db.row("SELECT reason, seen_count FROM audit.rejected_events") == [
        "invalid_json",
        2,
    ]


def test_cloudtrail_samples_all_accounted_for(subscriber, audit_db):
    bodies = [json.dumps(wrap_cloudtrail_record(record)) for _, _, record in cloudtrail_records()]

    response = subscriber.invoke(bodies)

    stored = audit_db.scalar("SELECT count(*) FROM audit.events")
    duplicates = audit_db.scalar(
        "SELECT coalesce(sum(seen_count), 0) FROM audit.duplicate_deliveries"
    )
    rejected = audit_db.scalar("SELECT coalesce(sum(seen_count), 0) FROM audit.rejected_events")
    assert failures(response) == []
    assert stored + duplicates + rejected == len(bodies)
    # Lines 66 and 67 are byte-identical: one of them is a duplicate.
    assert duplicates >= 1
    assert (
        audit_db.scalar(
            "SELECT count(*) FROM audit.events"
            " WHERE event_id = '714fafex-2eam-42pl-913e-926d4example'"
        )
        >= 1
    )


def test_row_database_rejects_is_isolated(subscriber, audit_db):
    # A constraint the parser does not know makes PostgreSQL reject one row.
    audit_db.execute(
        "ALTER TABLE audit.events"
        " ADD CONSTRAINT test_no_forbidden CHECK (action <> 'forbidden.action')"
    )
    try:
        bodies = app_bodies(7)
        bodies.insert(3, json.dumps(application_envelope(valid_detail(action="forbidden.action"))))

        response = subscriber.invoke(bodies)
    finally:
        audit_db.execute("ALTER TABLE audit.events DROP CONSTRAINT test_no_forbidden")

    assert failures(response) == []
    assert audit_db.scalar("SELECT count(*) FROM audit.events") == 7
    rejected = audit_db.row("SELECT reason, message, last_message_id FROM audit.rejected_events")
    assert rejected[0] == "database_rejected"
    assert rejected[1].startswith("PostgreSQL rejected the event: 23514")
    assert rejected[2] == "m-3"


def test_database_down_fails_every_record(subscriber, audit_db, monkeypatch, unused_port):
    monkeypatch.setenv("DB_PORT", str(unused_port))
    subscriber.reset()
    bodies = [*app_bodies(5), "not json"]

    response = subscriber.invoke(bodies)

    assert failures(response) == [f"m-{i}" for i in range(6)]
    assert audit_db.scalar("SELECT count(*) FROM audit.events") == 0


def test_dead_connection_is_replaced(subscriber, audit_db):
    subscriber.invoke(app_bodies(3, seed=1))
    killed = audit_db.scalar(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE usename = :user AND pid <> pg_backend_pid()",
        user=audit_db.writer.user,
    )

    response = subscriber.invoke(app_bodies(3, seed=2))

    assert killed == 1
    assert failures(response) == []
    assert audit_db.scalar("SELECT count(*) FROM audit.events") == 6


def test_metrics_count_each_outcome(subscriber, audit_db, capsys):
    bodies = app_bodies(3)
    subscriber.invoke(bodies[:1])
    capsys.readouterr()

    subscriber.invoke([*bodies, "not json"])

    metrics = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line
    ]
    assert len(metrics) == 1
    assert metrics[0]["EventsStored"] == [2.0]
    assert metrics[0]["EventsDuplicate"] == [1.0]
    assert metrics[0]["EventsRejected"] == [1.0]
    assert metrics[0]["EventsFailed"] == [0.0]


def test_logs_never_contain_payload(subscriber, audit_db, capsys):
    subscriber.log_to_stdout()
    marker = "PAYLOAD-MARKER-7d1c"
    stored = json.dumps(application_envelope(valid_detail(metadata={"secret": marker})))
    rejected = json.dumps(application_envelope(valid_detail(outcome=marker)))

    subscriber.invoke([stored, rejected])

    output = capsys.readouterr()
    assert marker not in output.out
    assert marker not in output.err


def test_records_sharing_event_id_and_time(subscriber, audit_db):
    # Lines 7 and 170 are the same KMS RotateKey event as two sources print it:
    # same eventID and eventTime, different content.
    records = {line: record for line, _, record in cloudtrail_records()}
    bodies = [json.dumps(wrap_cloudtrail_record(records[line])) for line in (7, 170)]

    response = subscriber.invoke(bodies)

    assert failures(response) == []
    assert audit_db.scalar("SELECT count(*) FROM audit.events") == 1
    assert audit_db.row("SELECT reason, last_message_id FROM audit.rejected_events") == [
        "conflicting_duplicate",
        "m-1",
    ]


def test_records_sharing_event_id_at_other_times(subscriber, audit_db):
    event_id = "714fafex-2eam-42pl-913e-926d4example"
    bodies = [
        json.dumps(wrap_cloudtrail_record(record))
        for _, _, record in cloudtrail_records()
        if record.get("eventID") == event_id
    ]

    response = subscriber.invoke(bodies)

    assert len(bodies) == 7
    assert failures(response) == []
    assert audit_db.scalar("SELECT count(DISTINCT occurred_at) FROM audit.events") == 7


def test_very_large_record_is_stored(subscriber, audit_db):
    record = dict(cloudtrail_records()[58][2])
    record["responseElements"] = {"items": [{"id": f"i-{n}", "pad": "x" * 900} for n in range(900)]}
    body = json.dumps(wrap_cloudtrail_record(record))

    response = subscriber.invoke([body])

    assert len(body) > 800_000
    assert failures(response) == []
    assert audit_db.scalar("SELECT octet_length(original::text) > 800000 FROM audit.events")


def use_secret(local_aws, monkeypatch, subscriber, secret: dict) -> tuple[object, str]:
    client = local_aws.client("secretsmanager")
    arn = client.create_secret(
        Name=f"test/subscriber/{uuid.uuid4()}", SecretString=json.dumps(secret)
    )["ARN"]
    monkeypatch.delenv("DB_USER")
    monkeypatch.delenv("DB_PASSWORD")
    monkeypatch.setenv("DB_SECRET_ARN", arn)
    monkeypatch.setenv("AWS_ENDPOINT_URL", local_aws.endpoint_url)
    subscriber.reset()
    return client, arn


def test_credentials_from_secrets_manager(subscriber, audit_db, local_aws, monkeypatch):
    writer = audit_db.writer
    use_secret(
        local_aws, monkeypatch, subscriber, {"username": writer.user, "password": writer.password}
    )

    response = subscriber.invoke(app_bodies(3))

    assert failures(response) == []
    assert audit_db.scalar("SELECT count(*) FROM audit.events") == 3


def test_rotated_password_is_fetched_again(subscriber, audit_db, local_aws, monkeypatch):
    writer = audit_db.writer
    client, arn = use_secret(
        local_aws, monkeypatch, subscriber, {"username": writer.user, "password": writer.password}
    )
    subscriber.invoke(app_bodies(2, seed=1))
    rotated = "rotated-" + uuid.uuid4().hex
    try:
        audit_db.execute(f"ALTER ROLE {writer.user} PASSWORD '{rotated}'")
        client.put_secret_value(
            SecretId=arn, SecretString=json.dumps({"username": writer.user, "password": rotated})
        )
        audit_db.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :user",
            user=writer.user,
        )

        response = subscriber.invoke(app_bodies(2, seed=2))
    finally:
        audit_db.execute(f"ALTER ROLE {writer.user} PASSWORD '{writer.password}'")

    assert failures(response) == []
    assert audit_db.scalar("SELECT count(*) FROM audit.events") == 4


def test_null_body_rejected_rest_stored(subscriber, audit_db):
    bodies = [*app_bodies(3), "null", "NULL"]

    response = subscriber.invoke(bodies)

    assert failures(response) == []
    assert audit_db.scalar("SELECT count(*) FROM audit.events") == 3
    rejected = audit_db.execute_all(
        "SELECT raw_body, reason FROM audit.rejected_events ORDER BY raw_body"
    )
    assert rejected == [["NULL", "invalid_json"], ["null", "invalid_envelope"]]


def test_null_strings_stay_strings(subscriber, audit_db):
    null_id = json.dumps(application_envelope(valid_detail(eventId="null", tenantId="Null")))
    rejected = json.dumps(application_envelope(valid_detail(eventId="NuLL", outcome="maybe")))

    response = subscriber.invoke([null_id, null_id, rejected])

    assert failures(response) == []
    assert audit_db.row("SELECT tenant_id, event_id FROM audit.events") == ["Null", "null"]
    assert audit_db.row("SELECT tenant_id, event_id FROM audit.duplicate_deliveries") == [
        "Null",
        "null",
    ]
    assert audit_db.scalar("SELECT event_id FROM audit.rejected_events") == "NuLL"


def test_event_outside_retention_is_rejected(subscriber, audit_db):
    # The session database keeps 5000 days (see conftest.py).
    old = (datetime.now(UTC) - timedelta(days=6000)).isoformat()
    body = json.dumps(application_envelope(valid_detail(occurredAt=old)))

    response = subscriber.invoke([body, *app_bodies(2)])

    assert failures(response) == []
    assert audit_db.scalar("SELECT count(*) FROM audit.events") == 2
    rejected = audit_db.row("SELECT reason, message FROM audit.rejected_events")
    assert rejected[0] == "outside_retention"
    assert "retention cutoff" in rejected[1]


def test_forged_read_event_is_rejected(subscriber, audit_db):
    forged = json.dumps(application_envelope(valid_detail(action="audit_log.viewed")))
    genuine = json.dumps(
        application_envelope(
            valid_detail(action="audit_log.viewed", eventId="read-1"),
            source="audit-log.graphql-api",
        )
    )

    response = subscriber.invoke([forged, genuine])

    assert failures(response) == []
    assert audit_db.scalar("SELECT source FROM audit.events") == "audit-log.graphql-api"
    rejected = audit_db.row("SELECT reason, message FROM audit.rejected_events")
    assert rejected[0] == "reserved_action"
    assert "'com.example.identity'" in rejected[1]


@pytest.mark.parametrize("action", ["Audit_Log.Viewed", "AUDIT_LOG.VIEWED", "audit_log.exported"])
def test_lookalike_read_action_is_rejected(subscriber, audit_db, action):
    response = subscriber.invoke([json.dumps(application_envelope(valid_detail(action=action)))])

    assert failures(response) == []
    assert audit_db.scalar("SELECT count(*) FROM audit.events") == 0
    assert audit_db.scalar("SELECT reason FROM audit.rejected_events") == "reserved_action"


def test_same_instant_other_offset_is_duplicate(subscriber, audit_db):
    utc = json.dumps(application_envelope(valid_detail(occurredAt="2026-11-30T10:00:00Z")))
    paris = json.dumps(application_envelope(valid_detail(occurredAt="2026-11-30T11:00:00+01:00")))

    subscriber.invoke([utc])
    response = subscriber.invoke([paris])

    assert failures(response) == []
    assert audit_db.scalar("SELECT count(*) FROM audit.events") == 1
    assert audit_db.scalar("SELECT seen_count FROM audit.duplicate_deliveries") == 1


def test_every_rejection_is_logged(subscriber, audit_db, capsys):
    original = json.dumps(application_envelope())
    conflicting = json.dumps(application_envelope(valid_detail(action="user.role.revoked")))
    subscriber.log_to_stdout()
    subscriber.invoke([original])
    capsys.readouterr()

    subscriber.invoke([conflicting, "not json"])

    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "{" in line[:1]]
    reasons = sorted(
        entry["reason"] for entry in logged if entry.get("message") == "event rejected"
    )
    assert reasons == ["conflicting_duplicate", "invalid_json"]


def test_invalid_configuration_fails_batch_and_logs(subscriber, monkeypatch, capsys):
    monkeypatch.setenv("DB_SSLMODE", "bogus")
    subscriber.reset()
    subscriber.log_to_stdout()

    with pytest.raises(ConfigurationError):
        subscriber.invoke(app_bodies(1))

    output = capsys.readouterr().out
    assert "invalid configuration" in output
    assert "DB_SSLMODE" in output


def test_detail_objects_keep_exact_numbers(subscriber, audit_db):
    big = "12345678901234567890123456789012345678901.5"
    detail = (
        '{"tenantId": "acme-corp", "action": "a.b", "actor": {"type": "user", "id": "u"},'
        ' "occurredAt": "2026-11-30T10:00:00Z", "eventId": "exact",'
        f' "metadata": {{"big": {big}}}, "context": {{"small": 0.1000000000000000055511}},'
        f' "changes": [{{"field": "limit", "old": 1, "new": {big}}}]}}'
    )
    body = (
        '{"version": "0", "id": "env", "detail-type": "Audit Event", "source": "com.example.x",'
        f' "time": "2026-11-30T10:00:00Z", "detail": {detail}}}'
    )

    response = subscriber.invoke([body])

    row = audit_db.row("SELECT metadata::text, context::text, changes::text FROM audit.events")
    assert failures(response) == []
    assert big in row[0]
    assert "0.1000000000000000055511" in row[1]
    assert big in row[2]
