"""Feed an SQS queue to a Lambda handler in-process, the way Lambda's event source mapping does.

``SqsPoller`` receives a batch, builds the same ``{"Records": [...]}`` event that Lambda
builds, calls ``handler(event, context)`` and deletes the messages that the batch response
reports as succeeded (ReportBatchItemFailures). Messages it does not delete become visible
again after the queue's visibility timeout, and SQS's redrive policy moves a message to
the dead-letter queue once its receive count exceeds maxReceiveCount. This module
never moves messages itself.

Rules, as Lambda applies them with ReportBatchItemFailures turned on:

* The handler raises: the whole batch failed, nothing is deleted.
* It returns None, or an object whose batchItemFailures is missing, null or ``[]``:
  all succeeded.
* It returns ``{"batchItemFailures": [{"itemIdentifier": messageId}, ...]}``: all
  messages except those listed are deleted.
* An empty, null or unknown itemIdentifier, an item without that key, or a response
  that is not a JSON object: the whole batch failed.

With ``report_batch_item_failures=False`` any returned value means all succeeded.

NOTE: one batch is in flight at a time, so this does not reproduce Lambda's concurrent
pollers or its 6 MB invocation payload limit. A handler that runs past its timeout is
not stopped: its batch counts as failed once it returns.
"""

from __future__ import annotations

import argparse
import base64
import importlib
import json
import logging
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

logger = logging.getLogger(__name__)

MAX_RECEIVE_PER_CALL = 10
MAX_BATCH_SIZE = 10_000
MAX_BATCHING_WINDOW_SECONDS = 300
MAX_LONG_POLL_SECONDS = 20

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class PollStats:
    """Counts for one ``poll_once`` call, or totals across calls."""

    received: int = 0
    deleted: int = 0
    failed: int = 0
    handler_errors: int = 0
    delete_errors: int = 0

    def add(self, other: PollStats) -> None:
        self.received += other.received
        self.deleted += other.deleted
        self.failed += other.failed
        self.handler_errors += other.handler_errors
        self.delete_errors += other.delete_errors


@dataclass
class LambdaContext:
    """The fields and method of the Lambda Python runtime's context object that handlers use."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    deadline_monotonic: float = field(repr=False)
    identity: Any = None
    client_context: Any = None

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline_monotonic - time.monotonic()) * 1000))


class BatchFailure(Exception):
    """The handler's response marks the whole batch as failed."""


class SqsPoller:
    """Lambda's SQS event source mapping for one queue and one in-process handler."""

    def __init__(
        self,
        sqs_client: Any,
        queue_url: str,
        queue_arn: str,
        handler: Handler,
        batch_size: int = 10,
        batching_window_seconds: float = 0,
        region: str = "us-east-1",
        function_name: str = "audit-subscriber",
        *,
        report_batch_item_failures: bool = True,
        wait_time_seconds: int = 2,
        function_timeout_seconds: float = 30.0,
        memory_limit_in_mb: int = 128,
    ) -> None:
        """Check the settings against Lambda's limits and set up the poller.

        ``wait_time_seconds`` is the long poll for the first message of a batch.
        Lambda uses 20 s. The shorter default lets ``run`` notice its stop event
        sooner. Raises ValueError for a setting that Lambda or SQS would reject.
        """
        if not 1 <= batch_size <= MAX_BATCH_SIZE:
            raise ValueError(f"batch_size={batch_size} is invalid: use 1 to {MAX_BATCH_SIZE}")
        if not 0 <= batching_window_seconds <= MAX_BATCHING_WINDOW_SECONDS:
            raise ValueError(
                f"batching_window_seconds={batching_window_seconds} is invalid: "
                f"use 0 to {MAX_BATCHING_WINDOW_SECONDS}"
            )
        if batch_size > MAX_RECEIVE_PER_CALL and batching_window_seconds < 1:
            raise ValueError(
                f"batch_size={batch_size} needs batching_window_seconds of at least 1, "
                f"as Lambda requires for batches above {MAX_RECEIVE_PER_CALL}"
            )
        if not 0 <= wait_time_seconds <= MAX_LONG_POLL_SECONDS:
            raise ValueError(
                f"wait_time_seconds={wait_time_seconds} is invalid: SQS accepts 0 to "
                f"{MAX_LONG_POLL_SECONDS}"
            )
        self.sqs = sqs_client
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self.handler = handler
        self.batch_size = batch_size
        self.batching_window_seconds = batching_window_seconds
        self.region = region
        self.function_name = function_name
        self.report_batch_item_failures = report_batch_item_failures
        self.wait_time_seconds = wait_time_seconds
        self.function_timeout_seconds = function_timeout_seconds
        self.memory_limit_in_mb = memory_limit_in_mb
        account = queue_arn.split(":")[4] if queue_arn.count(":") >= 5 else "000000000000"
        self.function_arn = f"arn:aws:lambda:{region}:{account}:function:{function_name}"

        self.totals = PollStats()
        self.invocations = 0
        self._lock = threading.Lock()
        self._processing = False
        self._last_poll_empty = False

    # -- state for drain checks --------------------------------------------------------------

    @property
    def idle(self) -> bool:
        """Whether the last completed poll received nothing and no batch is being processed.

        A long poll in progress does not count as busy: messages it receives are in
        flight, so the queue's count of messages not visible already includes them.
        """
        with self._lock:
            return self._last_poll_empty and not self._processing

    def stats(self) -> PollStats:
        """Return a copy of the running totals."""
        with self._lock:
            totals = PollStats()
            totals.add(self.totals)
            return totals

    # -- polling -------------------------------------------------------------------------------

    def poll_once(self) -> PollStats:
        """Receive one batch, invoke the handler with it and delete what succeeded."""
        stats = PollStats()
        messages = self._receive_batch()
        stats.received = len(messages)
        with self._lock:
            self._processing = bool(messages)
        try:
            if messages:
                self._process(messages, stats)
        finally:
            with self._lock:
                self._processing = False
                self._last_poll_empty = not messages
                self.totals.add(stats)
        return stats

    def run(self, stop_event: threading.Event) -> None:
        """Poll until ``stop_event`` is set. Use it as a thread's target.

        ReceiveMessage and DeleteMessageBatch errors are logged, and polling goes on
        after a pause, as Lambda keeps polling. Any other exception ends the loop.
        """
        logger.info("Polling %s for function %s", self.queue_url, self.function_name)
        failures_in_a_row = 0
        while not stop_event.is_set():
            try:
                self.poll_once()
                failures_in_a_row = 0
            except (BotoCoreError, ClientError) as error:
                failures_in_a_row += 1
                pause = min(30.0, 0.5 * 2 ** min(failures_in_a_row, 6))
                logger.error(
                    "Polling %s failed (%d in a row), retrying in %.1f s: %s",
                    self.queue_url,
                    failures_in_a_row,
                    pause,
                    error,
                )
                stop_event.wait(pause)
            except Exception:
                logger.exception("Poller for %s stopped by an unexpected error", self.queue_url)
                raise
        logger.info("Stopped polling %s", self.queue_url)

    def start(self, stop_event: threading.Event) -> threading.Thread:
        """Run ``run(stop_event)`` in a new daemon thread and return the thread."""
        thread = threading.Thread(
            target=self.run,
            args=(stop_event,),
            name=f"sqs-poller-{self.function_name}",
            daemon=True,
        )
        thread.start()
        return thread

    # -- receive ---------------------------------------------------------------------------------

    def _receive_batch(self) -> list[dict[str, Any]]:
        """Receive up to batch_size messages: a long poll, then more within the batching window."""
        messages = self._receive(min(MAX_RECEIVE_PER_CALL, self.batch_size), self.wait_time_seconds)
        if not messages or self.batching_window_seconds <= 0:
            return messages
        window_ends = time.monotonic() + self.batching_window_seconds
        while len(messages) < self.batch_size:
            remaining = window_ends - time.monotonic()
            if remaining <= 0:
                break
            missing = min(MAX_RECEIVE_PER_CALL, self.batch_size - len(messages))
            # WaitTimeSeconds takes whole seconds, so the last part of the window is
            # covered by short polls with a pause between them.
            wait = min(MAX_LONG_POLL_SECONDS, int(remaining))
            more = self._receive(missing, wait)
            messages.extend(more)
            if not more and wait == 0:
                time.sleep(min(remaining, 0.05))
        return messages

    def _receive(self, max_messages: int, wait_seconds: int) -> list[dict[str, Any]]:
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=max_messages,
            WaitTimeSeconds=wait_seconds,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return response.get("Messages", [])

    # -- invoke -----------------------------------------------------------------------------------

    def build_event(self, messages: list[Mapping[str, Any]]) -> dict[str, Any]:
        """Return the Lambda SQS event for received messages (ReceiveMessage output)."""
        return {"Records": [self._record(message) for message in messages]}

    def _record(self, message: Mapping[str, Any]) -> dict[str, Any]:
        record: dict[str, Any] = {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": dict(message.get("Attributes", {})),
            "messageAttributes": {
                name: lambda_message_attribute(value)
                for name, value in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message["MD5OfBody"],
        }
        if "MD5OfMessageAttributes" in message:
            record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
        record["eventSource"] = "aws:sqs"
        record["eventSourceARN"] = self.queue_arn
        record["awsRegion"] = self.region
        return record

    def _context(self) -> LambdaContext:
        started = datetime.now(UTC)
        return LambdaContext(
            function_name=self.function_name,
            function_version="$LATEST",
            invoked_function_arn=self.function_arn,
            memory_limit_in_mb=self.memory_limit_in_mb,
            aws_request_id=str(uuid.uuid4()),
            log_group_name=f"/aws/lambda/{self.function_name}",
            log_stream_name=f"{started:%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}",
            deadline_monotonic=time.monotonic() + self.function_timeout_seconds,
        )

    def _process(self, messages: list[dict[str, Any]], stats: PollStats) -> None:
        event = self.build_event(messages)
        context = self._context()
        message_ids = [message["MessageId"] for message in messages]
        with self._lock:
            self.invocations += 1
        started = time.monotonic()
        try:
            response = self.handler(event, context)
            # The Lambda runtime sends the response as JSON, so a response that cannot
            # be serialized is a function error.
            json.dumps(response)
        except Exception:
            stats.handler_errors += 1
            stats.failed += len(messages)
            logger.exception(
                "Handler %s raised for a batch of %d messages (request %s), deleting none: %s",
                self.function_name,
                len(messages),
                context.aws_request_id,
                message_ids,
            )
            return
        elapsed = time.monotonic() - started
        if elapsed > self.function_timeout_seconds:
            stats.handler_errors += 1
            stats.failed += len(messages)
            logger.error(
                "Handler %s took %.1f s, over its %.1f s timeout, so the batch of %d messages "
                "(request %s) failed and none is deleted",
                self.function_name,
                elapsed,
                self.function_timeout_seconds,
                len(messages),
                context.aws_request_id,
            )
            return

        try:
            failed_ids = self._failed_ids(response, set(message_ids))
        except BatchFailure as error:
            stats.failed += len(messages)
            logger.warning(
                "Handler %s response fails the whole batch of %d messages (request %s): %s",
                self.function_name,
                len(messages),
                context.aws_request_id,
                error,
            )
            return
        if failed_ids:
            logger.info(
                "Handler %s reported %d of %d messages as failed: %s",
                self.function_name,
                len(failed_ids),
                len(messages),
                sorted(failed_ids),
            )
        stats.failed += len(failed_ids)
        to_delete = [message for message in messages if message["MessageId"] not in failed_ids]
        self._delete(to_delete, stats)

    def _failed_ids(self, response: Any, batch_ids: set[str]) -> set[str]:
        """Return the message ids a batch response reports as failed.

        Raises BatchFailure when the response fails the whole batch.
        """
        if not self.report_batch_item_failures or response is None:
            return set()
        if not isinstance(response, Mapping):
            raise BatchFailure(f"response is a {type(response).__name__}, not a JSON object")
        items = response.get("batchItemFailures")
        if items is None:
            return set()
        if not isinstance(items, list):
            raise BatchFailure(f"batchItemFailures is a {type(items).__name__}, not a list")
        failed = set()
        for item in items:
            if not isinstance(item, Mapping) or "itemIdentifier" not in item:
                raise BatchFailure(f"batch item failure {item!r} has no itemIdentifier")
            identifier = item["itemIdentifier"]
            if not isinstance(identifier, str) or not identifier:
                raise BatchFailure(f"itemIdentifier {identifier!r} is empty or not a string")
            if identifier not in batch_ids:
                raise BatchFailure(f"itemIdentifier {identifier!r} is not a message in the batch")
            failed.add(identifier)
        return failed

    # -- delete ------------------------------------------------------------------------------------

    def _delete(self, messages: list[dict[str, Any]], stats: PollStats) -> None:
        for start in range(0, len(messages), MAX_RECEIVE_PER_CALL):
            chunk = messages[start : start + MAX_RECEIVE_PER_CALL]
            entries = [
                {"Id": str(position), "ReceiptHandle": message["ReceiptHandle"]}
                for position, message in enumerate(chunk)
            ]
            response = self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)
            stats.deleted += len(response.get("Successful", []))
            for failed in response.get("Failed", []):
                stats.delete_errors += 1
                message = chunk[int(failed["Id"])]
                logger.error(
                    "Deleting message %s from %s failed (%s: %s), so it will be received again",
                    message["MessageId"],
                    self.queue_url,
                    failed.get("Code"),
                    failed.get("Message"),
                )


def lambda_message_attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    """Convert one SQS message attribute (ReceiveMessage output) to Lambda's event shape.

    Lambda uses lower camel case keys, always includes both list keys, and sends binary
    values base64-encoded.
    """
    converted: dict[str, Any] = {}
    if "StringValue" in value:
        converted["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        converted["binaryValue"] = _base64(value["BinaryValue"])
    converted["stringListValues"] = list(value.get("StringListValues", []))
    converted["binaryListValues"] = [_base64(item) for item in value.get("BinaryListValues", [])]
    converted["dataType"] = value["DataType"]
    return converted


def _base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# -- command line ---------------------------------------------------------------------------


def load_handler(reference: str) -> Handler:
    """Import ``package.module:function`` and return the function."""
    module_name, separator, attribute = reference.partition(":")
    if not separator or not module_name or not attribute:
        raise ValueError(f"handler {reference!r} is invalid: use module:function")
    return getattr(importlib.import_module(module_name), attribute)


def main(argv: list[str] | None = None) -> int:
    """Run one function's event source mapping until SIGTERM or Ctrl-C."""
    from localaws import make_client  # the emulator helpers are only needed here

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queue-url", required=True, help="SQS queue to poll")
    parser.add_argument("--queue-arn", required=True, help="its ARN, as Lambda events carry it")
    parser.add_argument("--handler", required=True, help="module:function to invoke")
    parser.add_argument("--function-name", default="audit-subscriber", help="Lambda function name")
    parser.add_argument("--batch-size", type=int, default=10, help="messages per invocation")
    parser.add_argument(
        "--batching-window", type=float, default=0, help="seconds to wait to fill a batch"
    )
    parser.add_argument("--region", default="us-east-1", help="AWS region name")
    parser.add_argument(
        "--endpoint-url",
        default=os.environ.get("AWS_ENDPOINT_URL"),
        help="AWS emulator URL (default: $AWS_ENDPOINT_URL)",
    )
    args = parser.parse_args(argv)
    if not args.endpoint_url:
        parser.error("--endpoint-url or AWS_ENDPOINT_URL is required")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    poller = SqsPoller(
        make_client("sqs", args.endpoint_url, args.region),
        args.queue_url,
        args.queue_arn,
        load_handler(args.handler),
        batch_size=args.batch_size,
        batching_window_seconds=args.batching_window,
        region=args.region,
        function_name=args.function_name,
    )
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    poller.run(stop)
    totals = poller.stats()
    logger.info(
        "Poller totals: received=%d deleted=%d failed=%d handler_errors=%d",
        totals.received,
        totals.deleted,
        totals.failed,
        totals.handler_errors,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
