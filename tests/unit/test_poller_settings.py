"""SqsPoller settings checks and message attribute conversion, without a queue."""

from __future__ import annotations

import pytest
from poller import SqsPoller, lambda_message_attribute

QUEUE_ARN = "arn:aws:sqs:eu-west-1:111122223333:audit-ingest"


def make_poller(**settings) -> SqsPoller:
    return SqsPoller(None, "http://queue", QUEUE_ARN, lambda event, context: None, **settings)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"batch_size": 0}, "batch_size=0 is invalid"),
        ({"batch_size": 10_001, "batching_window_seconds": 1}, "batch_size=10001 is invalid"),
        ({"batch_size": 11}, "batch_size=11 needs batching_window_seconds of at least 1"),
        ({"batching_window_seconds": 301}, "batching_window_seconds=301 is invalid"),
        ({"batching_window_seconds": -1}, "batching_window_seconds=-1 is invalid"),
        ({"wait_time_seconds": 21}, "wait_time_seconds=21 is invalid"),
    ],
)
def test_poller_rejects_setting(settings, message):
    with pytest.raises(ValueError, match=message):
        make_poller(**settings)


def test_poller_accepts_lambda_maximums():
    poller = make_poller(batch_size=10_000, batching_window_seconds=300, wait_time_seconds=20)
    assert poller.batch_size == 10_000


def test_function_arn_uses_queue_account():
    poller = make_poller(region="eu-west-1", function_name="subscriber")
    assert poller.function_arn == "arn:aws:lambda:eu-west-1:111122223333:function:subscriber"


def test_new_poller_is_not_idle():
    # Idle means "polled and found nothing", which a poller that never polled has not done.
    assert not make_poller().idle


def test_attribute_string_lists():
    converted = lambda_message_attribute(
        {"DataType": "String", "StringListValues": ["a", "b"], "BinaryListValues": [b"\x01"]}
    )
    assert converted == {
        "stringListValues": ["a", "b"],
        "binaryListValues": ["AQ=="],
        "dataType": "String",
    }


def test_attribute_custom_type_kept():
    converted = lambda_message_attribute({"DataType": "Number.int", "StringValue": "42"})
    assert converted["dataType"] == "Number.int"
    assert converted["stringValue"] == "42"
