"""Normalising real CloudTrail records, as EventBridge delivers them, into audit events."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from publish import wrap_cloudtrail_record
from samples import cloudtrail_record, cloudtrail_records, eventbridge_event

from subscriber.config import load_settings
from subscriber.envelope import parse_message
from subscriber.model import AuditEvent, Reason, Rejection

ALL_ACCOUNTS = load_settings({"DB_USER": "unused", "AWS_ACCOUNT_TENANTS": '{"*": "platform"}'})


def normalise(record: dict, settings=ALL_ACCOUNTS) -> AuditEvent | Rejection:
    return parse_message(json.dumps(wrap_cloudtrail_record(record)), settings)


def event_for(line: int) -> AuditEvent:
    result = normalise(cloudtrail_record(line))
    assert isinstance(result, AuditEvent), result
    return result


def test_every_sample_record_is_settled():
    results = {line: normalise(record) for line, _, record in cloudtrail_records()}

    rejected = {
        line: result.reason for line, result in results.items() if isinstance(result, Rejection)
    }
    # Line 4 is a CloudTrail Insight, which EventBridge labels "AWS Insight via CloudTrail".
    assert rejected == {4: Reason.UNSUPPORTED_EVENT_TYPE}


def test_non_uuid_event_id_is_kept():
    assert event_for(41).event_id == "714fafex-2eam-42pl-913e-926d4example"


def test_missing_event_id_uses_envelope_id():
    record = cloudtrail_record(101)
    envelope = wrap_cloudtrail_record(record)

    result = parse_message(json.dumps(envelope), ALL_ACCOUNTS)

    assert "eventID" not in record
    assert result.event_id == envelope["id"]


def test_event_time_becomes_occurred_at():
    assert event_for(101).occurred_at == datetime(2014, 3, 6, 21, 22, 54, tzinfo=UTC)


@pytest.mark.parametrize(
    ("line", "outcome"),
    [
        (191, "denied"),  # errorCode AccessDenied
        (5, "failure"),  # errorCode TrailNotFoundException
        (202, "failure"),  # errorMessage without errorCode
        (10, "success"),  # errorCode and errorMessage are empty strings
        (92, "failure"),  # ConsoleLogin: Failure
        (90, "success"),  # ConsoleLogin: Success
    ],
)
def test_outcome_from_error_fields(line, outcome):
    assert event_for(line).outcome == outcome


def test_action_from_event_source_and_name():
    event = event_for(90)

    assert event.action == "aws.signin.ConsoleLogin"
    assert event.source == "aws.signin"
    assert event.detail_type == "AWS Console Sign In via CloudTrail"


def test_event_name_whitespace_is_trimmed():
    assert event_for(40).action == "aws.ec2-instance-connect.SendSSHPublicKey"


def test_iam_user_is_user_actor():
    event = event_for(191)

    assert event.actor_type == "user"
    assert event.actor_id == "arn:aws:iam::999999999999:user/myUserName"
    assert event.actor_name == "myUserName"
    assert event.actor_ip == "127.0.0.1"


def test_aws_service_is_service_actor():
    lines = [
        line
        for line, _, record in cloudtrail_records()
        if (record.get("userIdentity") or {}).get("type") == "AWSService"
    ]

    actor_types = {event_for(line).actor_type for line in lines}

    assert lines
    assert actor_types == {"service"}


def test_identity_without_type_is_settled():
    record = cloudtrail_record(10)

    event = event_for(10)

    assert "type" not in record["userIdentity"]
    assert event.actor_type == "user"
    assert event.actor_id == "123456789012"


def test_null_request_parameters_are_kept_in_original():
    record = cloudtrail_record(6)

    event = event_for(6)

    assert record["requestParameters"] is None
    assert json.loads(event.original_json)["detail"]["requestParameters"] is None


def test_context_keeps_request_id_and_region():
    record = cloudtrail_record(191)

    context = json.loads(event_for(191).context_json)

    assert context["awsRegion"] == record["awsRegion"]
    assert context["requestId"] == record["requestID"]


def test_resources_become_target():
    lines = [line for line, _, record in cloudtrail_records() if record.get("resources")]
    event = event_for(lines[0])

    assert event.target_id == cloudtrail_record(lines[0])["resources"][0]["ARN"]


def test_account_map_picks_tenant():
    settings = load_settings(
        {"DB_USER": "unused", "AWS_ACCOUNT_TENANTS": '{"999999999999": "tenant-nine"}'}
    )

    event = normalise(cloudtrail_record(191), settings)

    assert event.tenant_id == "tenant-nine"


def test_unmapped_account_is_rejected():
    settings = load_settings(
        {"DB_USER": "unused", "AWS_ACCOUNT_TENANTS": '{"111122223333": "other"}'}
    )

    result = normalise(cloudtrail_record(191), settings)

    assert isinstance(result, Rejection)
    assert result.reason is Reason.UNMAPPED_ACCOUNT
    assert "999999999999" in result.message
    assert "AWS_ACCOUNT_TENANTS" in result.message


def test_very_large_record_is_normalised():
    record = cloudtrail_record(59)
    record["responseElements"] = {
        "items": [{"id": f"item-{i}", "pad": "x" * 900} for i in range(900)]
    }
    body = json.dumps(wrap_cloudtrail_record(record))

    event = parse_message(body, ALL_ACCOUNTS)

    assert len(body) > 800_000
    assert isinstance(event, AuditEvent)
    assert event.original_json == body


@pytest.mark.parametrize("line", [43, 48, 50, 56])
def test_eventbridge_cloudtrail_samples_normalise(line):
    envelope = eventbridge_event(line)

    event = parse_message(json.dumps(envelope), ALL_ACCOUNTS)

    assert isinstance(event, AuditEvent)
    assert event.detail_type == envelope["detail-type"]
    assert event.action.startswith("aws.")


def test_other_aws_event_is_rejected():
    envelope = eventbridge_event(1)  # EC2 Instance State-change Notification

    result = parse_message(json.dumps(envelope), ALL_ACCOUNTS)

    assert isinstance(result, Rejection)
    assert result.reason is Reason.UNSUPPORTED_EVENT_TYPE
