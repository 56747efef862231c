"""Publishing through a real moto server: PutEvents to the bus, and AWS events to the queue."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from event_pattern import load_patterns
from localaws import count_messages
from publish import Entry, PublishError, deliver_aws_events, put_events, wrap_cloudtrail_record

pytestmark = pytest.mark.integration

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "aws-samples"
ENVELOPE_KEYS = {"version", "id", "detail-type", "source", "time", "region", "resources", "detail"}
# EventBridge always sends "account". moto leaves it out of SQS targets, and it adds
# "ingestion-time" to some envelopes.
OPTIONAL_ENVELOPE_KEYS = {"account", "ingestion-time"}


class CountingEvents:
    """The real events client, with the number of entries in each PutEvents call recorded."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.call_sizes: list[int] = []

    def put_events(self, **request: Any) -> dict[str, Any]:
        self.call_sizes.append(len(request["Entries"]))
        return self.client.put_events(**request)


def receive_all(sqs_client: Any, queue_url: str, expected: int) -> list[dict[str, Any]]:
    """Receive and delete messages until ``expected`` arrived or a receive comes back empty."""
    messages: list[dict[str, Any]] = []
    while len(messages) < expected:
        response = sqs_client.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=2
        )
        batch = response.get("Messages", [])
        if not batch:
            break
        for message in batch:
            sqs_client.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        messages.extend(batch)
    return messages


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# -- put_events -------------------------------------------------------------------------------


def test_put_events_lands_envelope(sqs_client, events_client, aws_resources):
    detail = {"action": "user.login", "actor": {"id": "u-1"}, "count": 2, "tags": ["a"]}
    (event_id,) = put_events(
        events_client,
        aws_resources.bus_name,
        [("com.example.auth", "User Logged In", detail)],
    )

    (message,) = receive_all(sqs_client, aws_resources.queue_url, 1)
    envelope = json.loads(message["Body"])
    assert set(envelope) - OPTIONAL_ENVELOPE_KEYS == ENVELOPE_KEYS
    assert envelope["id"] == event_id
    assert envelope["version"] == "0"
    assert envelope["source"] == "com.example.auth"
    assert envelope["detail-type"] == "User Logged In"
    assert envelope["detail"] == detail
    assert envelope["region"] == aws_resources.region
    assert envelope["resources"] == []
    assert envelope["time"].endswith("Z")


def test_put_events_keeps_resources(sqs_client, events_client, aws_resources):
    entry = Entry("com.example.s", "Thing", {"k": 1}, resources=["arn:aws:s3:::bucket"])
    put_events(events_client, aws_resources.bus_name, [entry])

    (message,) = receive_all(sqs_client, aws_resources.queue_url, 1)
    assert json.loads(message["Body"])["resources"] == ["arn:aws:s3:::bucket"]


def test_put_events_splits_over_ten(sqs_client, events_client, aws_resources):
    counting = CountingEvents(events_client)
    entries = [("com.example.bulk", "Item Imported", {"n": number}) for number in range(23)]

    event_ids = put_events(counting, aws_resources.bus_name, entries)

    assert counting.call_sizes == [10, 10, 3]
    assert len(set(event_ids)) == 23
    messages = receive_all(sqs_client, aws_resources.queue_url, 23)
    numbers = sorted(json.loads(message["Body"])["detail"]["n"] for message in messages)
    assert numbers == list(range(23))
    ids_by_number = {
        json.loads(message["Body"])["detail"]["n"]: json.loads(message["Body"])["id"]
        for message in messages
    }
    assert [ids_by_number[number] for number in range(23)] == event_ids


def test_put_events_reports_failed_entry(sqs_client, events_client, aws_resources):
    # moto, like EventBridge, fails an entry without Detail on its own and accepts the rest.
    entries = [
        Entry("com.example.a", "Good", {"n": 0}),
        Entry("com.example.a", "No Detail", None),
        Entry("com.example.a", "Good", {"n": 2}),
    ]
    with pytest.raises(PublishError, match="entry 1: InvalidArgument") as raised:
        put_events(events_client, aws_resources.bus_name, entries)

    assert [failure.index for failure in raised.value.failures] == [1]
    assert raised.value.ids[0] is not None
    assert raised.value.ids[1] is None
    assert raised.value.ids[2] is not None
    assert count_messages(sqs_client, aws_resources.queue_url) == 2


def test_put_events_rejects_oversized_locally(sqs_client, events_client, aws_resources):
    counting = CountingEvents(events_client)
    entries = [
        ("com.example.a", "Small", {"n": 0}),
        ("com.example.a", "Huge", {"blob": "x" * (256 * 1024)}),
    ]
    with pytest.raises(ValueError, match=r"entry 1 .* over the PutEvents entry limit of 262144"):
        put_events(counting, aws_resources.bus_name, entries)

    assert counting.call_sizes == []
    assert count_messages(sqs_client, aws_resources.queue_url) == 0


def test_application_rule_skips_aws_source(sqs_client, events_client, aws_resources):
    # moto accepts aws.* sources in PutEvents (AWS does not), which lets this check that
    # the application rule's pattern keeps them out of the queue anyway.
    response = events_client.put_events(
        Entries=[
            {
                "EventBusName": aws_resources.bus_name,
                "Source": "aws.s3",
                "DetailType": "Object Created",
                "Detail": "{}",
            }
        ]
    )
    assert response["FailedEntryCount"] == 0
    assert count_messages(sqs_client, aws_resources.queue_url) == 0


# -- deliver_aws_events -----------------------------------------------------------------------


def test_deliver_sends_matching_samples(sqs_client, aws_resources):
    envelopes = read_jsonl(SAMPLES / "eventbridge" / "events.jsonl")
    pattern = load_patterns()["aws-cloudtrail-events"]

    result = deliver_aws_events(sqs_client, aws_resources.queue_url, envelopes, pattern)

    assert result.delivered == 4
    assert result.unmatched == len(envelopes) - 4
    messages = receive_all(sqs_client, aws_resources.queue_url, 4)
    bodies = sorted((json.loads(message["Body"]) for message in messages), key=lambda e: e["id"])
    expected = sorted((envelopes[line - 1] for line in (43, 48, 50, 56)), key=lambda e: e["id"])
    assert bodies == expected


def test_deliver_wrapped_cloudtrail_records(sqs_client, aws_resources):
    records = read_jsonl(SAMPLES / "cloudtrail" / "records.jsonl")
    envelopes = [wrap_cloudtrail_record(record) for record in records]
    pattern = load_patterns()["aws-cloudtrail-events"]

    result = deliver_aws_events(sqs_client, aws_resources.queue_url, envelopes, pattern)

    # All but the one CloudTrail Insight record match the rule.
    assert result.delivered == len(records) - 1
    assert result.unmatched == 1
    assert count_messages(sqs_client, aws_resources.queue_url) == len(records) - 1
