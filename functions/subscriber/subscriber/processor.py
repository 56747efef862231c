"""A Powertools batch processor that writes the whole batch at once.

Powertools' BatchProcessor calls the record handler once per record and
reports the records that raised as batchItemFailures. Storing events one at
a time would cost one round trip per event, so this processor runs the
record handler (parsing, which never touches the database) on every record
first and then settles all parsed records in a single call.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from subscriber.config import SERVICE_NAME
from subscriber.model import Delivery, Settled

__all__ = ["BulkSqsProcessor", "PartialItemFailureResponse"]

logger = Logger(service=SERVICE_NAME, child=True)


class BulkSqsProcessor(BatchProcessor):
    """Parse each SQS record with the record handler, then settle the batch in one call.

    ``settle`` takes the parsed deliveries and returns what became of each
    one (a Settled), in order; if it raises, every record it was given is reported
    as failed so that SQS redelivers them. A record whose handler raised is
    reported as failed on its own.
    """

    def __init__(self, settle: Callable[[list[Delivery]], list[Settled]]) -> None:
        # A failure of the whole batch is reported item by item instead of
        # raised, so the metrics and the summary log line still get written.
        super().__init__(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
        self._settle = settle

    def process(self) -> list[tuple]:
        results: list[tuple] = []
        parsed: list[tuple[SQSRecord, Delivery]] = []
        for raw_record in self.records:
            record = SQSRecord(raw_record)
            try:
                parsed.append((record, self.handler(record=record)))
            except Exception as error:  # noqa: BLE001 - reported as a failure, so SQS retries it
                # The exception's message may quote the event, so log only its type.
                logger.error(
                    "record handler failed; SQS will redeliver the message",
                    extra={"message_id": record.message_id, "error": type(error).__name__},
                )
                results.append(self.failure_handler(record=record, exception=sys.exc_info()))
        if not parsed:
            return results
        try:
            settled = self._settle([delivery for _, delivery in parsed])
        except Exception:  # noqa: BLE001 - every record of the write is retried
            exception = sys.exc_info()
            results.extend(
                self.failure_handler(record=record, exception=exception) for record, _ in parsed
            )
            return results
        results.extend(
            self.success_handler(record=record, result=result)
            for (record, _), result in zip(parsed, settled, strict=True)
        )
        return results
