"""An SQS standard queue with a dead-letter queue, in memory, for runs too large for moto.

``MemoryQueue`` implements the four SQS calls that the soak test and ``SqsPoller`` make
(SendMessageBatch, ReceiveMessage, DeleteMessageBatch, GetQueueAttributes) with the
shapes boto3 returns, and keeps SQS's delivery rules:

* a received message is invisible for the visibility timeout, then visible again
  unless it was deleted with its latest receipt handle;
* a delete with an older receipt handle succeeds without deleting, as SQS allows;
* a message received ``max_receive_count`` times moves to the DLQ when it would be
  received once more (the redrive policy's maxReceiveCount).

It never delivers a message twice at once, which SQS and moto both may do, so counts
taken through it hold exactly. moto 5.2.5 handles about 50 messages a second on the
2-core machine the soak ran on, because it walks every message of a queue on each call.
This queue handles thousands.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import threading
import time
import uuid
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class _Message:
    message_id: str
    body: str
    sent_ms: int
    receive_count: int = 0
    first_receive_ms: int = 0
    receipt_handle: str | None = None


@dataclass
class MemoryQueue:
    """One queue and its DLQ. Thread-safe; every call takes one lock.

    The methods take boto3's parameter names, so a MemoryQueue can stand in for an
    SQS client; the queue URL is ignored.
    """

    visibility_timeout_seconds: float = 30.0
    max_receive_count: int = 5
    _messages: dict[str, _Message] = field(default_factory=dict)
    _visible: deque[str] = field(default_factory=deque)
    # (visible again at, sequence, message id, receipt handle)
    _in_flight: list[tuple[float, int, str, str]] = field(default_factory=list)
    dead_letters: list[str] = field(default_factory=list)
    _not_visible: int = 0
    _sequence: itertools.count = field(default_factory=itertools.count)
    _lock: threading.Condition = field(default_factory=threading.Condition)

    def send_message_batch(self, QueueUrl: str, Entries: Sequence[Mapping[str, Any]]) -> dict:
        now_ms = int(time.time() * 1000)
        successful = []
        with self._lock:
            for entry in Entries:
                message = _Message(str(uuid.uuid4()), entry["MessageBody"], now_ms)
                self._messages[message.message_id] = message
                self._visible.append(message.message_id)
                successful.append({"Id": entry["Id"], "MessageId": message.message_id})
            self._lock.notify_all()
        return {"Successful": successful, "Failed": []}

    def receive_message(
        self,
        QueueUrl: str,
        MaxNumberOfMessages: int = 1,
        WaitTimeSeconds: int = 0,
        **_: Any,
    ) -> dict:
        deadline = time.monotonic() + WaitTimeSeconds
        with self._lock:
            while True:
                received = self._take(MaxNumberOfMessages)
                remaining = deadline - time.monotonic()
                if received or remaining <= 0:
                    return {"Messages": received} if received else {}
                wait = remaining
                if self._in_flight:
                    wait = min(wait, max(0.0, self._in_flight[0][0] - time.monotonic()))
                self._lock.wait(wait)

    def _take(self, count: int) -> list[dict[str, Any]]:
        now = time.monotonic()
        while self._in_flight and self._in_flight[0][0] <= now:
            _, _, message_id, receipt = heapq.heappop(self._in_flight)
            message = self._messages.get(message_id)
            if message is not None and message.receipt_handle == receipt:
                message.receipt_handle = None
                self._not_visible -= 1
                self._visible.append(message_id)
        received = []
        while self._visible and len(received) < count:
            message = self._messages[self._visible.popleft()]
            if message.receive_count >= self.max_receive_count:
                del self._messages[message.message_id]
                self.dead_letters.append(message.body)
                continue
            message.receive_count += 1
            self._not_visible += 1
            now_ms = int(time.time() * 1000)
            message.first_receive_ms = message.first_receive_ms or now_ms
            message.receipt_handle = f"{message.message_id}#{message.receive_count}"
            heapq.heappush(
                self._in_flight,
                (
                    now + self.visibility_timeout_seconds,
                    next(self._sequence),
                    message.message_id,
                    message.receipt_handle,
                ),
            )
            received.append(
                {
                    "MessageId": message.message_id,
                    "ReceiptHandle": message.receipt_handle,
                    "MD5OfBody": hashlib.md5(message.body.encode()).hexdigest(),  # noqa: S324 - SQS's checksum
                    "Body": message.body,
                    "Attributes": {
                        "ApproximateReceiveCount": str(message.receive_count),
                        "SentTimestamp": str(message.sent_ms),
                        "SenderId": "AIDAMEMORYQUEUE",
                        "ApproximateFirstReceiveTimestamp": str(message.first_receive_ms),
                    },
                }
            )
        return received

    def delete_message_batch(self, QueueUrl: str, Entries: Sequence[Mapping[str, Any]]) -> dict:
        with self._lock:
            for entry in Entries:
                message_id = entry["ReceiptHandle"].partition("#")[0]
                message = self._messages.get(message_id)
                if message is not None and message.receipt_handle == entry["ReceiptHandle"]:
                    del self._messages[message_id]
                    self._not_visible -= 1
        return {"Successful": [{"Id": entry["Id"]} for entry in Entries], "Failed": []}

    def get_queue_attributes(self, QueueUrl: str, AttributeNames: Sequence[str]) -> dict:
        with self._lock:
            total = len(self._messages)
            not_visible = self._not_visible
        return {
            "Attributes": {
                "ApproximateNumberOfMessages": str(total - not_visible),
                "ApproximateNumberOfMessagesNotVisible": str(not_visible),
                "ApproximateNumberOfMessagesDelayed": "0",
            }
        }
