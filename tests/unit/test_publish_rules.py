"""publish.py without an emulator: entry checks, retries, batching and CloudTrail envelopes.

The retry paths need errors that moto never returns (InternalFailure, throttling, SQS
server faults), so these tests drive small scripted clients instead.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from event_pattern import load_patterns
from publish import (
    CLOUDTRAIL_DETAIL_TYPES,
    Entry,
    PublishError,
    cloudtrail_source,
    deliver_aws_events,
    put_events,
    put_events_entry_size,
    wrap_cloudtrail_record,
)

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "aws-samples"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


class ScriptedEvents:
    """An events client whose PutEvents returns one scripted error code per entry and call.

    ``script[call][position]`` is the ErrorCode for that entry, or None for success.
    Calls past the end of the script succeed.
    """

    def __init__(self, script: list[list[str | None]] | None = None) -> None:
        self.script = script or []
        self.calls: list[list[dict[str, Any]]] = []

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        codes = self.script[len(self.calls)] if len(self.calls) < len(self.script) else []
        self.calls.append(Entries)
        results = []
        for position, entry in enumerate(Entries):
            code = codes[position] if position < len(codes) else None
            if code:
                results.append({"ErrorCode": code, "ErrorMessage": f"{code} for {entry['Source']}"})
            else:
                results.append({"EventId": f"id-{entry['Source']}"})
        failed = sum(1 for result in results if "ErrorCode" in result)
        return {"FailedEntryCount": failed, "Entries": results}


class ScriptedSqs:
    """An SQS client whose SendMessageBatch fails scripted entries with a code and fault."""

    def __init__(self, script: list[dict[int, tuple[str, bool]]] | None = None) -> None:
        self.script = script or []
        self.calls: list[list[dict[str, Any]]] = []

    def send_message_batch(
        self,
        QueueUrl: str,
        Entries: list[dict[str, Any]],
    ) -> dict[str, Any]:
        failures = self.script[len(self.calls)] if len(self.calls) < len(self.script) else {}
        self.calls.append(Entries)
        response: dict[str, Any] = {"Successful": [], "Failed": []}
        for position, entry in enumerate(Entries):
            if position in failures:
                code, sender_fault = failures[position]
                response["Failed"].append(
                    {"Id": entry["Id"], "Code": code, "SenderFault": sender_fault, "Message": code}
                )
            else:
                response["Successful"].append(
                    {"Id": entry["Id"], "MessageId": f"msg-{entry['Id']}"}
                )
        return response


def no_sleep(seconds: float) -> None:
    pass


def entries(count: int) -> list[tuple[str, str, dict[str, Any]]]:
    return [(f"app.{number}", "Thing Happened", {"number": number}) for number in range(count)]


# -- put_events --------------------------------------------------------------------------------


def test_put_events_splits_into_tens():
    client = ScriptedEvents()
    ids = put_events(client, "bus", entries(23), sleep=no_sleep)
    assert [len(call) for call in client.calls] == [10, 10, 3]
    assert ids == [f"id-app.{number}" for number in range(23)]


def test_put_events_request_fields():
    client = ScriptedEvents()
    when = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    entry = Entry("app.orders", "Order Placed", {"id": 7}, resources=["arn:x"], time=when)
    put_events(client, "audit-events", [entry], sleep=no_sleep)
    assert client.calls[0] == [
        {
            "Source": "app.orders",
            "DetailType": "Order Placed",
            "Detail": '{"id":7}',
            "Resources": ["arn:x"],
            "Time": when,
            "EventBusName": "audit-events",
        }
    ]


def test_put_events_retries_throttled_entry():
    client = ScriptedEvents([[None, "ThrottlingException", None]])
    delays: list[float] = []
    ids = put_events(client, "bus", entries(3), sleep=delays.append)
    assert [len(call) for call in client.calls] == [3, 1]
    assert client.calls[1][0]["Source"] == "app.1"
    assert ids == ["id-app.0", "id-app.1", "id-app.2"]
    assert len(delays) == 1


def test_put_events_backoff_grows():
    script = [["InternalFailure"]] * 4
    delays: list[float] = []
    put_events(
        ScriptedEvents(script),
        "bus",
        entries(1),
        sleep=delays.append,
        base_delay_seconds=1,
        max_delay_seconds=4,
    )
    assert len(delays) == 4
    assert 0.5 <= delays[0] <= 1
    assert 1 <= delays[1] <= 2
    assert 2 <= delays[2] <= 4
    assert 2 <= delays[3] <= 4


def test_put_events_gives_up_after_attempts():
    client = ScriptedEvents([["InternalFailure"]] * 10)
    with pytest.raises(PublishError) as raised:
        put_events(client, "bus", entries(1), max_attempts=3, sleep=no_sleep)
    assert len(client.calls) == 3
    assert raised.value.failures[0].code == "InternalFailure"


def test_put_events_permanent_failure_not_retried():
    client = ScriptedEvents([[None, "AccessDeniedException"]])
    with pytest.raises(PublishError, match="entry 1: AccessDeniedException") as raised:
        put_events(client, "bus", entries(2), sleep=no_sleep)
    assert len(client.calls) == 1
    assert raised.value.ids == ["id-app.0", None]


def test_put_events_tries_all_before_raising():
    client = ScriptedEvents([["MalformedDetail"], [None]])
    with pytest.raises(PublishError) as raised:
        put_events(client, "bus", entries(11), sleep=no_sleep)
    assert len(client.calls) == 2
    assert [failure.index for failure in raised.value.failures] == [0]
    assert raised.value.ids[10] == "id-app.10"


def test_put_events_missing_event_id_fails():
    class NoIds(ScriptedEvents):
        def put_events(self, Entries):
            self.calls.append(Entries)
            return {"FailedEntryCount": 0, "Entries": [{} for _ in Entries]}

    with pytest.raises(PublishError, match="MissingEventId"):
        put_events(NoIds(), "bus", entries(1), sleep=no_sleep)


def test_put_events_result_count_mismatch():
    class Short(ScriptedEvents):
        def put_events(self, Entries):
            return {"FailedEntryCount": 0, "Entries": [{"EventId": "x"}]}

    with pytest.raises(RuntimeError, match="returned 1 result entries for 2 sent"):
        put_events(Short(), "bus", entries(2), sleep=no_sleep)


@pytest.mark.parametrize("source", ["aws.s3", "aws.partner/example.com/1/x"])
def test_put_events_rejects_reserved_source(source):
    client = ScriptedEvents()
    bad = [*entries(3), (source, "Object Created", {})]
    with pytest.raises(ValueError, match=rf"entry 3: source '{source}' is invalid"):
        put_events(client, "bus", bad, sleep=no_sleep)
    assert client.calls == []


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (("", "T", {}), "source must be a non-empty string"),
        (("app", "", {}), "detail_type must be a non-empty string"),
        (("app", "T", ["not", "an", "object"]), "detail must be a JSON object"),
        (("app", "T", {"x": float("nan")}), "detail is not valid JSON"),
        (("app", "T", {"x": object()}), "detail is not valid JSON"),
    ],
)
def test_put_events_rejects_invalid_entry(entry, message):
    client = ScriptedEvents()
    with pytest.raises(ValueError, match=message):
        put_events(client, "bus", [entry], sleep=no_sleep)
    assert client.calls == []


def test_put_events_rejects_non_tuple():
    with pytest.raises(TypeError, match="entry 0 must be an Entry"):
        put_events(ScriptedEvents(), "bus", ["app.orders"], sleep=no_sleep)


def test_entry_size_counts_utf8_and_time():
    request = {
        "Source": "app",
        "DetailType": "T",
        "Detail": '{"n":"é"}',
        "Resources": ["r1", "r22"],
        "Time": datetime(2024, 1, 1, tzinfo=UTC),
    }
    assert put_events_entry_size(request) == 3 + 1 + 10 + 2 + 3 + 14


def test_entry_at_limit_is_accepted():
    detail = {"p": ""}
    overhead = put_events_entry_size({"Source": "app", "DetailType": "T", "Detail": '{"p":""}'})
    detail["p"] = "x" * (1000 - overhead)
    put_events(ScriptedEvents(), "bus", [("app", "T", detail)], max_entry_bytes=1000)


def test_entry_over_limit_is_rejected():
    client = ScriptedEvents()
    detail = {"p": "x" * 1000}
    with pytest.raises(ValueError, match=r"entry 1 .* is 1012 bytes, over .* limit of 1000"):
        put_events(client, "bus", [*entries(1), ("app", "T", detail)], max_entry_bytes=1000)
    assert client.calls == []


# -- deliver_aws_events ----------------------------------------------------------------------------


def cloudtrail_envelopes() -> list[dict[str, Any]]:
    return read_jsonl(SAMPLES / "eventbridge" / "events.jsonl")


def test_deliver_retries_server_fault():
    client = ScriptedSqs([{1: ("InternalError", False)}])
    delays: list[float] = []
    envelope = {"source": "aws.s3", "detail-type": "AWS API Call via CloudTrail"}
    result = deliver_aws_events(
        client,
        "queue",
        [envelope, envelope],
        load_patterns()["aws-cloudtrail-events"],
        sleep=delays.append,
    )
    assert result.delivered == 2
    assert [len(call) for call in client.calls] == [2, 1]
    assert len(delays) == 1


def test_deliver_sender_fault_raises():
    client = ScriptedSqs([{0: ("InvalidMessageContents", True)}])
    envelope = {"source": "aws.s3", "detail-type": "AWS API Call via CloudTrail"}
    with pytest.raises(PublishError, match="entry 2: InvalidMessageContents") as raised:
        deliver_aws_events(
            client,
            "queue",
            [{"source": "app"}, {"source": "aws.ec2"}, envelope],
            load_patterns()["aws-cloudtrail-events"],
            sleep=no_sleep,
        )
    assert len(client.calls) == 1
    assert raised.value.ids == [None, None, None]


def test_deliver_splits_by_bytes():
    client = ScriptedSqs()
    envelope = {"source": "aws.s3", "detail-type": "AWS API Call via CloudTrail", "p": "x" * 400}
    deliver_aws_events(
        client, "queue", [envelope] * 5, {"source": [{"prefix": "aws."}]}, max_batch_bytes=1000
    )
    assert [len(call) for call in client.calls] == [2, 2, 1]


def test_deliver_splits_by_count():
    client = ScriptedSqs()
    envelope = {"source": "aws.s3", "detail-type": "AWS API Call via CloudTrail"}
    deliver_aws_events(client, "queue", [envelope] * 23, {"source": [{"prefix": "aws."}]})
    assert [len(call) for call in client.calls] == [10, 10, 3]


def test_deliver_rejects_oversized_envelope():
    client = ScriptedSqs()
    envelope = {"id": "e-1", "source": "aws.s3", "p": "x" * 2000}
    with pytest.raises(ValueError, match=r"envelope 0 \(id 'e-1'\) is \d+ bytes"):
        deliver_aws_events(
            client, "queue", [envelope], {"source": [{"prefix": "aws."}]}, max_batch_bytes=1000
        )
    assert client.calls == []


def test_deliver_rejects_non_object():
    with pytest.raises(TypeError, match="envelope 0 must be a JSON object"):
        deliver_aws_events(ScriptedSqs(), "queue", ["text"], {"source": ["x"]})


# -- wrap_cloudtrail_record -------------------------------------------------------------------


def cloudtrail_records() -> list[dict[str, Any]]:
    return read_jsonl(SAMPLES / "cloudtrail" / "records.jsonl")


@pytest.mark.parametrize("line", [43, 48, 50, 56])
def test_wrap_reproduces_real_envelope(line):
    # These EventBridge samples carry a CloudTrail record as detail, so wrapping that
    # record must give back the same envelope apart from the id.
    real = cloudtrail_envelopes()[line - 1]
    wrapped = wrap_cloudtrail_record(real["detail"])
    for key in ("detail-type", "source", "time", "region", "resources", "detail"):
        assert wrapped[key] == real[key], key
    # Line 50 is a documentation example whose record names account 11112223334444 while
    # its envelope has 123456789012, so only the other lines can confirm the account.
    if line != 50:
        assert wrapped["account"] == real["account"]


def test_wrap_envelope_keys_in_order():
    wrapped = wrap_cloudtrail_record(cloudtrail_records()[0])
    assert list(wrapped) == [
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    ]
    assert wrapped["version"] == "0"


def test_wrap_all_sample_records():
    for number, record in enumerate(cloudtrail_records(), 1):
        wrapped = wrap_cloudtrail_record(record)
        assert wrapped["detail"] is record, number
        assert wrapped["time"] == record["eventTime"], number
        assert wrapped["source"].startswith("aws."), number
        assert wrapped["detail-type"] in CLOUDTRAIL_DETAIL_TYPES.values(), number
        assert "account" in wrapped, number


def test_wrap_ids_are_stable_and_distinct():
    records = cloudtrail_records()
    first = [wrap_cloudtrail_record(record)["id"] for record in records]
    again = [wrap_cloudtrail_record(json.loads(json.dumps(record)))["id"] for record in records]
    assert first == again
    # The samples contain one record twice, and equal records must get equal ids.
    distinct_records = {json.dumps(record, sort_keys=True) for record in records}
    assert len(set(first)) == len(distinct_records)
    assert all(uuid.UUID(value).version == 5 for value in first)


def test_wrap_id_ignores_key_order():
    record = {"eventTime": "2024-01-01T00:00:00Z", "eventSource": "s3.amazonaws.com", "a": 1}
    reordered = dict(reversed(list(record.items())))
    assert wrap_cloudtrail_record(record)["id"] == wrap_cloudtrail_record(reordered)["id"]


@pytest.mark.parametrize(
    ("event_type", "detail_type"),
    [
        ("AwsApiCall", "AWS API Call via CloudTrail"),
        ("AwsConsoleSignIn", "AWS Console Sign In via CloudTrail"),
        ("AwsConsoleSignin", "AWS Console Sign In via CloudTrail"),
        ("AwsServiceEvent", "AWS Service Event via CloudTrail"),
        ("AwsCloudTrailInsight", "AWS Insight via CloudTrail"),
        (None, "AWS API Call via CloudTrail"),
    ],
)
def test_wrap_detail_type(event_type, detail_type):
    record: dict[str, Any] = {"eventTime": "2024-01-01T00:00:00Z"}
    if event_type:
        record["eventType"] = event_type
    assert wrap_cloudtrail_record(record)["detail-type"] == detail_type


def test_wrap_rejects_unknown_event_type():
    record = {"eventTime": "2024-01-01T00:00:00Z", "eventType": "AwsSomethingNew", "eventID": "e1"}
    with pytest.raises(ValueError, match="'e1' has unknown eventType 'AwsSomethingNew'"):
        wrap_cloudtrail_record(record)


def test_wrap_rejects_missing_time():
    with pytest.raises(ValueError, match="has no eventTime"):
        wrap_cloudtrail_record({"eventType": "AwsApiCall"})


@pytest.mark.parametrize(
    ("event_source", "source"),
    [
        ("s3.amazonaws.com", "aws.s3"),
        ("cognito-idp.amazonaws.com", "aws.cognito-idp"),
        ("ec2-instance-connect.amazonaws.com", "aws.ec2-instance-connect"),
        ("signin.aws.example", "aws.signin"),
        (None, "aws.cloudtrail"),
        ("", "aws.cloudtrail"),
    ],
)
def test_cloudtrail_source(event_source, source):
    assert cloudtrail_source(event_source) == source


def test_wrap_account_fallbacks():
    record = {"eventTime": "t", "userIdentity": {"accountId": "111111111111"}}
    assert wrap_cloudtrail_record(record)["account"] == "111111111111"
    record["recipientAccountId"] = "222222222222"
    assert wrap_cloudtrail_record(record)["account"] == "222222222222"


def test_wrap_defaults_fill_gaps():
    bare = {"eventTime": "t"}
    assert "account" not in wrap_cloudtrail_record(bare)
    assert "region" not in wrap_cloudtrail_record(bare)
    filled = wrap_cloudtrail_record(
        bare, default_account="333333333333", default_region="eu-west-1"
    )
    assert filled["account"] == "333333333333"
    assert filled["region"] == "eu-west-1"


def test_wrapped_records_match_rule():
    # Every sample record except the Insight one is something the rule forwards.
    pattern = load_patterns()["aws-cloudtrail-events"]
    records = cloudtrail_records()
    unmatched = [
        record.get("eventType")
        for record in records
        if not pattern.matches(wrap_cloudtrail_record(record))
    ]
    assert unmatched == ["AwsCloudTrailInsight"]
