"""Helpers for tests that feed the emulator's queues to the subscriber."""

from __future__ import annotations

import time
from typing import Any

from localaws import Resources, count_messages
from poller import SqsPoller


def send(sqs: Any, queue_url: str, messages: list[str]) -> None:
    """Send bodies with SendMessageBatch, ten at a time; fail the test on any failed entry."""
    for start in range(0, len(messages), 10):
        entries = [
            {"Id": str(position), "MessageBody": body}
            for position, body in enumerate(messages[start : start + 10])
        ]
        assert not sqs.send_message_batch(QueueUrl=queue_url, Entries=entries).get("Failed")


def make_poller(sqs: Any, resources: Resources, handler: Any) -> SqsPoller:
    """Return the event source mapping of the resources' ingest queue, one-second long polls."""
    return SqsPoller(
        sqs,
        resources.queue_url,
        resources.queue_arn,
        handler,
        region=resources.region,
        batch_size=10,
        wait_time_seconds=1,
    )


def drain(poller: SqsPoller, sqs: Any, resources: Resources, timeout: float = 30) -> None:
    """Poll until the queue is empty, as the event source mapping would."""
    deadline = time.monotonic() + timeout
    while count_messages(sqs, resources.queue_url):
        assert time.monotonic() < deadline, "the queue did not drain"
        poller.poll_once()
