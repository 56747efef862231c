"""Parsing SQS bodies into audit events or rejections (no database involved)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from samples import application_envelope, valid_detail

from subscriber.config import load_settings
from subscriber.envelope import parse_message
from subscriber.model import AuditEvent, Reason, Rejection

SETTINGS = load_settings(
    {"DB_USER": "unused", "MAX_EVENT_BYTES": "65536", "MAX_METADATA_BYTES": "1024"}
)


def parse(envelope: object) -> AuditEvent | Rejection:
    return parse_message(json.dumps(envelope, ensure_ascii=False), SETTINGS)


def rejection(envelope: object) -> Rejection:
    result = parse(envelope)
    assert isinstance(result, Rejection), result
    return result


def test_valid_event_maps_every_field():
    body = json.dumps(application_envelope(), ensure_ascii=False)

    event = parse_message(body, SETTINGS)

    assert isinstance(event, AuditEvent)
    assert event.tenant_id == "acme-corp"
    assert event.event_id == "evt-0001"
    assert event.occurred_at == datetime(2026, 11, 30, 23, 59, 59, 123456, tzinfo=UTC)
    assert event.source == "com.example.identity"
    assert event.detail_type == "Audit Event"
    assert event.action == "user.role.granted"
    assert event.outcome == "success"
    assert (event.actor_type, event.actor_id, event.actor_name) == (
        "user",
        "user-42",
        "Zoë Ångström",
    )
    assert (event.actor_ip, event.actor_user_agent) == ("198.51.100.7", "Mozilla/5.0")
    assert (event.target_type, event.target_id, event.target_name) == ("user", "user-77", "李小龙")
    # The database copies these from the stored original, keeping numbers exact.
    assert event.changes_json is None
    assert event.context_json is None
    assert event.metadata_json is None
    assert event.original_json == body
    assert len(event.content_sha256) == 32


def test_defaults_come_from_envelope():
    detail = {"tenantId": "t1", "action": "user.created", "actor": {"type": "system", "id": "cron"}}

    event = parse(application_envelope(detail, id="env-id-1", time="2026-12-01T08:00:00Z"))

    assert event.event_id == "env-id-1"
    assert event.occurred_at == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert event.outcome == "success"
    assert event.target_type is None
    assert event.changes_json is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-29T01:30:00.000001+05:30", datetime(2026, 3, 28, 20, 0, 0, 1, tzinfo=UTC)),
        ("2026-03-29T01:30:00-08:00", datetime(2026, 3, 29, 9, 30, tzinfo=UTC)),
        ("2024-02-29T23:59:59.999999Z", datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC)),
        ("2026-01-01T00:00:00.123456789Z", datetime(2026, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)),
        ("0001-01-01T00:00:00Z", datetime(1, 1, 1, tzinfo=UTC)),
        ("9999-12-31T23:59:59.999999Z", datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
    ],
)
def test_occurred_at_converted_to_utc(text, expected):
    event = parse(application_envelope(valid_detail(occurredAt=text)))

    assert event.occurred_at == expected


@pytest.mark.parametrize(
    "text",
    ["2026-01-31T12:00:00", "2026-02-30T00:00:00Z", "9999-12-31T23:00:00-05:00", "yesterday"],
)
def test_occurred_at_invalid_is_rejected(text):
    result = rejection(application_envelope(valid_detail(occurredAt=text)))

    assert result.reason in (Reason.SCHEMA_VIOLATION, Reason.INVALID_TIMESTAMP)
    assert "occurredAt" in result.message


def test_envelope_time_placeholder_is_rejected():
    detail = valid_detail()
    del detail["occurredAt"]
    del detail["eventId"]

    result = rejection(application_envelope(detail, time="yyyy-mm-ddThh:mm:ssZ"))

    assert result.reason is Reason.INVALID_TIMESTAMP
    assert "envelope time" in result.message


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("not json", Reason.INVALID_JSON),
        ('{"id": "a", "detail": NaN}', Reason.INVALID_JSON),
        ('{"id": "a", "detail": 1e999}', Reason.INVALID_JSON),
        ("[1, 2]", Reason.INVALID_ENVELOPE),
        ('"just a string"', Reason.INVALID_ENVELOPE),
        ("[" * 20_000 + "]" * 20_000, Reason.TOO_DEEPLY_NESTED),
    ],
)
def test_unparseable_body_is_rejected(body, reason):
    result = parse_message(body, SETTINGS)

    assert isinstance(result, Rejection)
    assert result.reason is reason


@pytest.mark.parametrize("field", ["id", "source", "detail-type"])
def test_envelope_missing_field_is_rejected(field):
    envelope = application_envelope()
    del envelope[field]

    result = rejection(envelope)

    assert result.reason is Reason.INVALID_ENVELOPE
    assert repr(field) in result.message


def test_detail_as_json_string_is_rejected():
    result = rejection(application_envelope(detail="{}"))

    assert result.reason is Reason.INVALID_ENVELOPE
    assert "detail" in result.message


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"tenantId": None}, "detail.tenantId"),
        ({"action": "login"}, "detail.action"),
        ({"outcome": "maybe"}, "detail.outcome"),
        ({"actor": {"type": "robot", "id": "r"}}, "detail.actor.type"),
        ({"actor": {"type": "user"}}, "detail.actor"),
        ({"tenantID": "typo"}, "detail"),
        ({"changes": [{"old": 1, "new": 2}]}, "detail.changes[0]"),
    ],
)
def test_schema_violation_names_field(change, named):
    result = rejection(application_envelope(valid_detail(**change)))

    assert result.reason is Reason.SCHEMA_VIOLATION
    assert result.message.startswith(named)
    assert "schema v1" in result.message


def test_missing_required_field_is_rejected():
    detail = valid_detail()
    del detail["actor"]

    result = rejection(application_envelope(detail))

    assert result.reason is Reason.SCHEMA_VIOLATION
    assert "actor" in result.message


@pytest.mark.parametrize(
    "detail_change",
    [
        {"actor": {"type": "user", "id": "u", "name": "nul\x00byte"}},
        {"context": {"deep": [{"x": "lone \ud800 surrogate"}]}},
        {"metadata": {"key\x00": "value"}},
    ],
)
def test_unstorable_character_is_rejected(detail_change):
    body = json.dumps(application_envelope(valid_detail(**detail_change)))

    result = parse_message(body, SETTINGS)

    assert isinstance(result, Rejection)
    assert result.reason is Reason.UNSUPPORTED_CHARACTER
    assert result.message.startswith("$.detail.")


def test_escaped_backslash_u0000_text_is_stored():
    # The six characters \u0000 as text (an escaped backslash) are storable.
    event = parse(application_envelope(valid_detail(metadata={"path": "C:\\u0000"})))

    assert isinstance(event, AuditEvent)


def test_raw_lone_surrogate_in_body_is_rejected():
    body = json.dumps(application_envelope(), ensure_ascii=False)[:-1] + ', "x": "\ud83d"}'

    result = parse_message(body, SETTINGS)

    assert isinstance(result, Rejection)
    assert result.reason is Reason.UNSUPPORTED_CHARACTER


def test_body_over_limit_is_rejected():
    big = valid_detail(context={"blob": "x" * 70_000})

    result = rejection(application_envelope(big))

    assert result.reason is Reason.TOO_LARGE
    assert "MAX_EVENT_BYTES" in result.message


def test_metadata_over_limit_is_rejected():
    result = rejection(application_envelope(valid_detail(metadata={"blob": "x" * 2000})))

    assert result.reason is Reason.TOO_LARGE
    assert "detail.metadata" in result.message


def test_rejection_keeps_known_identity():
    result = rejection(application_envelope(valid_detail(outcome="maybe")))

    assert result.tenant_id == "acme-corp"
    assert result.event_id == "evt-0001"
    assert result.source == "com.example.identity"


def test_content_hash_ignores_envelope_id_and_key_order():
    first = parse(application_envelope(id="one", time="2026-12-01T08:00:00Z"))
    reordered = dict(reversed(list(valid_detail().items())))
    second = parse(application_envelope(reordered, id="two", time="2026-12-02T09:00:00Z"))

    assert first.content_sha256 == second.content_sha256


def test_content_hash_changes_with_detail():
    first = parse(application_envelope())
    second = parse(application_envelope(valid_detail(outcome="denied")))

    assert first.content_sha256 != second.content_sha256


@pytest.mark.parametrize("depth", [101, 979, 980, 5000])
def test_deep_nesting_is_rejected(depth):
    envelope = json.dumps(application_envelope())
    body = envelope[:-1] + ', "deep": ' + "[" * depth + "]" * depth + "}"

    result = parse_message(body, SETTINGS)

    assert isinstance(result, Rejection)
    assert result.reason is Reason.TOO_DEEPLY_NESTED


def test_nesting_at_limit_is_accepted():
    metadata = {"deep": json.loads("[" * 96 + "]" * 96)}

    event = parse(application_envelope(valid_detail(metadata=metadata)))

    assert isinstance(event, AuditEvent)


def test_event_id_needs_occurred_at():
    detail = valid_detail()
    del detail["occurredAt"]

    result = rejection(application_envelope(detail))

    assert result.reason is Reason.SCHEMA_VIOLATION
    assert "occurredAt" in result.message


def test_same_instant_other_offset_hashes_equal():
    utc = parse(application_envelope(valid_detail(occurredAt="2026-11-30T10:00:00Z")))
    paris = parse(application_envelope(valid_detail(occurredAt="2026-11-30T11:00:00+01:00")))

    assert utc.key == paris.key
    assert utc.content_sha256 == paris.content_sha256


@pytest.mark.parametrize(
    ("body", "found"),
    [
        ("null", "a JSON null"),
        ('{"id": 5, "source": "s", "detail-type": "d", "detail": {}}', "a JSON number"),
        ('{"id": "a", "source": "s", "detail-type": "d", "detail": []}', "a JSON array"),
        ('{"id": "a", "source": "s", "detail-type": "d"}', "missing"),
    ],
)
def test_envelope_errors_use_json_type_names(body, found):
    result = parse_message(body, SETTINGS)

    assert isinstance(result, Rejection)
    assert found in result.message


def test_nul_and_surrogate_told_apart():
    nul = rejection(application_envelope(valid_detail(metadata={"a": "x\x00"})))
    surrogate = rejection(application_envelope(valid_detail(metadata={"a": "\udc00"})))

    assert "NUL character" in nul.message
    assert "surrogate" in surrogate.message
    assert nul.tenant_id == "acme-corp"
    assert nul.event_id == "evt-0001"


def test_pattern_violation_explains_format():
    result = rejection(application_envelope(valid_detail(occurredAt="2026-11-30 10:00")))

    assert "invalid format" in result.message
    assert "^" not in result.message
