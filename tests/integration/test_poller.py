"""SqsPoller against a real moto server: event shape, deletes, retries and the DLQ."""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Any

import pytest
from localaws import count_messages, wait_until_drained
from poller import SqsPoller

pytestmark = pytest.mark.integration

RECORD_KEYS = [
    "messageId",
    "receiptHandle",
    "body",
    "attributes",
    "messageAttributes",
    "md5OfBody",
    "eventSource",
    "eventSourceARN",
    "awsRegion",
]
SYSTEM_ATTRIBUTES = {
    "ApproximateReceiveCount",
    "SentTimestamp",
    "SenderId",
    "ApproximateFirstReceiveTimestamp",
}


class Recorder:
    """A handler that records every event and context, and fails bodies containing "poison"."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.contexts: list[Any] = []

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.events.append(event)
        self.contexts.append(context)
        failures = [
            {"itemIdentifier": record["messageId"]}
            for record in event["Records"]
            if "poison" in record["body"]
        ]
        return {"batchItemFailures": failures}

    def bodies(self) -> list[str]:
        return [record["body"] for event in self.events for record in event["Records"]]


def send(sqs_client: Any, queue_url: str, bodies: list[str]) -> None:
    for start in range(0, len(bodies), 10):
        chunk = bodies[start : start + 10]
        entries = [
            {"Id": str(position), "MessageBody": body} for position, body in enumerate(chunk)
        ]
        response = sqs_client.send_message_batch(QueueUrl=queue_url, Entries=entries)
        assert not response.get("Failed")


def make_poller(sqs_client: Any, resources: Any, handler: Any, **settings: Any) -> SqsPoller:
    return SqsPoller(
        sqs_client,
        resources.queue_url,
        resources.queue_arn,
        handler,
        region=resources.region,
        wait_time_seconds=1,
        **settings,
    )


def receive_bodies(sqs_client: Any, queue_url: str) -> list[str]:
    response = sqs_client.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=2
    )
    return [message["Body"] for message in response.get("Messages", [])]


# -- event shape ---------------------------------------------------------------------------------


def test_event_record_shape(sqs_client, aws_resources):
    sqs_client.send_message(QueueUrl=aws_resources.queue_url, MessageBody='{"a": 1}')
    handler = Recorder()
    poller = make_poller(sqs_client, aws_resources, handler, function_name="audit-test")

    stats = poller.poll_once()

    assert stats.received == 1
    assert len(handler.events) == 1
    event = handler.events[0]
    assert list(event) == ["Records"]
    record = event["Records"][0]
    assert list(record) == RECORD_KEYS
    assert record["body"] == '{"a": 1}'
    assert set(record["attributes"]) == SYSTEM_ATTRIBUTES
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"] == {}
    assert record["md5OfBody"] == hashlib.md5(b'{"a": 1}').hexdigest()  # noqa: S324
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == aws_resources.queue_arn
    assert record["awsRegion"] == aws_resources.region


def test_event_message_attributes_shape(sqs_client, aws_resources):
    sqs_client.send_message(
        QueueUrl=aws_resources.queue_url,
        MessageBody="with attributes",
        MessageAttributes={
            "tenant": {"DataType": "String", "StringValue": "acme"},
            "count": {"DataType": "Number", "StringValue": "3"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    handler = Recorder()
    make_poller(sqs_client, aws_resources, handler).poll_once()

    record = handler.events[0]["Records"][0]
    attributes = record["messageAttributes"]
    assert attributes["tenant"] == {
        "stringValue": "acme",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    assert attributes["count"]["stringValue"] == "3"
    assert attributes["count"]["dataType"] == "Number"
    assert attributes["blob"] == {
        "binaryValue": "AAE=",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "Binary",
    }
    assert "md5OfMessageAttributes" in record


def test_context_fields(sqs_client, aws_resources):
    send(sqs_client, aws_resources.queue_url, ["x"])
    handler = Recorder()
    poller = make_poller(
        sqs_client, aws_resources, handler, function_name="audit-test", function_timeout_seconds=60
    )
    poller.poll_once()

    context = handler.contexts[0]
    account = aws_resources.queue_arn.split(":")[4]
    assert context.function_name == "audit-test"
    assert context.function_version == "$LATEST"
    assert context.invoked_function_arn == (
        f"arn:aws:lambda:{aws_resources.region}:{account}:function:audit-test"
    )
    assert context.memory_limit_in_mb == 128
    assert len(context.aws_request_id) == 36
    assert context.log_group_name == "/aws/lambda/audit-test"
    assert "[$LATEST]" in context.log_stream_name
    assert 0 < context.get_remaining_time_in_millis() <= 60_000


# -- batch responses ------------------------------------------------------------------------------


def test_partial_failure_deletes_successes(sqs_client, aws_resources):
    send(sqs_client, aws_resources.queue_url, ["ok-1", "poison-1", "ok-2", "poison-2"])
    handler = Recorder()
    poller = make_poller(sqs_client, aws_resources, handler)

    stats = poller.poll_once()

    assert stats.received == 4
    assert stats.deleted == 2
    assert stats.failed == 2
    assert stats.handler_errors == 0
    assert count_messages(sqs_client, aws_resources.queue_url) == 2
    # The visibility timeout is 1 s, so the failed messages come back.
    left = receive_bodies(sqs_client, aws_resources.queue_url)
    assert sorted(left) == ["poison-1", "poison-2"]


@pytest.mark.parametrize(
    "response",
    [
        None,
        {},
        {"batchItemFailures": []},
        {"batchItemFailures": None},
        {"unrelated": "key"},
    ],
    ids=["none", "empty-dict", "empty-list", "null-list", "no-key"],
)
def test_success_response_deletes_all(sqs_client, aws_resources, response):
    send(sqs_client, aws_resources.queue_url, ["a", "b", "c"])
    poller = make_poller(sqs_client, aws_resources, lambda event, context: response)

    stats = poller.poll_once()

    assert stats.deleted == 3
    assert stats.failed == 0
    assert count_messages(sqs_client, aws_resources.queue_url) == 0


@pytest.mark.parametrize(
    "make_response",
    [
        lambda ids: {"batchItemFailures": [{"itemIdentifier": ""}]},
        lambda ids: {"batchItemFailures": [{"itemIdentifier": None}]},
        lambda ids: {"batchItemFailures": [{"itemIdentifier": "not-a-message-id"}]},
        lambda ids: {"batchItemFailures": [{"itemIdentifier": ids[0]}, {"itemIdentifier": ""}]},
        lambda ids: {"batchItemFailures": [{"messageId": ids[0]}]},
        lambda ids: {"batchItemFailures": [ids[0]]},
        lambda ids: {"batchItemFailures": ids[0]},
        lambda ids: [{"itemIdentifier": ids[0]}],
        lambda ids: "ok",
    ],
    ids=[
        "empty-id",
        "null-id",
        "unknown-id",
        "one-bad-of-two",
        "wrong-key",
        "bare-string-item",
        "not-a-list",
        "list-response",
        "string-response",
    ],
)
def test_bad_response_fails_batch(sqs_client, aws_resources, make_response):
    send(sqs_client, aws_resources.queue_url, ["a", "b"])

    def handler(event, context):
        return make_response([record["messageId"] for record in event["Records"]])

    stats = make_poller(sqs_client, aws_resources, handler).poll_once()

    assert stats.received == 2
    assert stats.deleted == 0
    assert stats.failed == 2
    assert count_messages(sqs_client, aws_resources.queue_url) == 2


def test_exception_deletes_nothing(sqs_client, aws_resources):
    send(sqs_client, aws_resources.queue_url, ["a", "b", "c"])

    def handler(event, context):
        raise RuntimeError("database unavailable")

    poller = make_poller(sqs_client, aws_resources, handler)
    stats = poller.poll_once()

    assert stats.received == 3
    assert stats.deleted == 0
    assert stats.failed == 3
    assert stats.handler_errors == 1
    assert count_messages(sqs_client, aws_resources.queue_url) == 3


def test_unserializable_response_fails_batch(sqs_client, aws_resources):
    send(sqs_client, aws_resources.queue_url, ["a"])
    poller = make_poller(sqs_client, aws_resources, lambda event, context: {"x": object()})

    stats = poller.poll_once()

    assert stats.handler_errors == 1
    assert stats.deleted == 0


def test_failures_ignored_without_reporting(sqs_client, aws_resources):
    # Without ReportBatchItemFailures, Lambda treats any returned value as success.
    send(sqs_client, aws_resources.queue_url, ["ok", "poison"])
    poller = make_poller(sqs_client, aws_resources, Recorder(), report_batch_item_failures=False)

    stats = poller.poll_once()

    assert stats.deleted == 2
    assert count_messages(sqs_client, aws_resources.queue_url) == 0


# -- redrive ---------------------------------------------------------------------------------------


def test_poison_message_ends_in_dlq(sqs_client, provision_aws):
    resources = provision_aws(max_receive_count=2, visibility_timeout_seconds=1)
    send(sqs_client, resources.queue_url, ["good", "poison"])
    handler = Recorder()
    poller = make_poller(sqs_client, resources, handler)

    deadline = time.monotonic() + 20
    while count_messages(sqs_client, resources.dlq_url) == 0:
        assert time.monotonic() < deadline, "the poison message never reached the DLQ"
        poller.poll_once()

    assert handler.bodies().count("poison") == 2
    assert handler.bodies().count("good") == 1
    assert count_messages(sqs_client, resources.queue_url) == 0
    assert receive_bodies(sqs_client, resources.dlq_url) == ["poison"]


# -- batching ------------------------------------------------------------------------------


def test_batch_above_ten_fills(sqs_client, aws_resources):
    bodies = [f"message-{number}" for number in range(25)]
    send(sqs_client, aws_resources.queue_url, bodies)
    handler = Recorder()
    poller = make_poller(
        sqs_client, aws_resources, handler, batch_size=25, batching_window_seconds=5
    )

    stats = poller.poll_once()

    assert stats.received == 25
    assert len(handler.events) == 1
    assert sorted(handler.bodies()) == sorted(bodies)
    assert stats.deleted == 25


def test_window_ends_partial_batch(sqs_client, aws_resources):
    send(sqs_client, aws_resources.queue_url, [f"m{number}" for number in range(5)])
    handler = Recorder()
    poller = make_poller(
        sqs_client, aws_resources, handler, batch_size=100, batching_window_seconds=1
    )

    started = time.monotonic()
    stats = poller.poll_once()
    elapsed = time.monotonic() - started

    assert stats.received == 5
    assert len(handler.events) == 1
    assert elapsed >= 1.0
    assert elapsed < 10.0


def test_small_batch_size_limits_receive(sqs_client, aws_resources):
    send(sqs_client, aws_resources.queue_url, [f"m{number}" for number in range(5)])
    poller = make_poller(sqs_client, aws_resources, Recorder(), batch_size=2)

    stats = poller.poll_once()

    assert stats.received == 2


def test_empty_queue_poll_is_idle(sqs_client, aws_resources):
    poller = make_poller(sqs_client, aws_resources, Recorder())
    assert not poller.idle

    stats = poller.poll_once()

    assert stats.received == 0
    assert poller.idle


# -- run loop ------------------------------------------------------------------------------


def test_run_drains_queue(sqs_client, aws_resources):
    handler = Recorder()
    poller = make_poller(sqs_client, aws_resources, handler)
    stop = threading.Event()
    thread = poller.start(stop)
    try:
        send(sqs_client, aws_resources.queue_url, [f"m{number}" for number in range(15)])
        wait_until_drained(
            sqs_client, aws_resources.queue_url, timeout_seconds=30, idle=lambda: poller.idle
        )
    finally:
        stop.set()
        thread.join(timeout=10)

    assert not thread.is_alive()
    assert poller.stats().deleted == 15
    assert len(handler.bodies()) == 15
