"""Lambda entry point: SQS batch of EventBridge envelopes -> audit.events."""

from __future__ import annotations

from collections import Counter
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from audit_common.database import TransientDatabaseError, connector, error_code
from subscriber.config import SERVICE_NAME, ConfigurationError, Settings, load_settings
from subscriber.envelope import parse_message
from subscriber.model import Delivery, Outcome, Settled
from subscriber.processor import BulkSqsProcessor, PartialItemFailureResponse
from subscriber.store import EventStore

logger = Logger(service=SERVICE_NAME)
metrics = Metrics(namespace="AuditLog", service=SERVICE_NAME)
# The shared database module logs through the standard library; give it this format.
copy_config_to_registered_loggers(source_logger=logger, include={"audit_common"})


@cache
def settings() -> Settings:
    return load_settings()


@cache
def store() -> EventStore:
    return EventStore(connector(settings().database))


def parse_record(record: SQSRecord) -> Delivery:
    return Delivery(record.message_id, record.body, parse_message(record.body, settings()))


def settle(deliveries: list[Delivery]) -> list[Settled]:
    """Write the batch; count and log what became of each message (never its body)."""
    try:
        settled = store().write(deliveries)
    except TransientDatabaseError as error:
        logger.error(
            "batch not stored; SQS will redeliver it",
            extra={"error": str(error), "message_count": len(deliveries)},
        )
        raise
    except Exception as error:
        logger.error(
            "batch not stored: unexpected error; SQS will redeliver it",
            extra={"error": error_code(error), "message_count": len(deliveries)},
        )
        raise
    for delivery, result in zip(deliveries, settled, strict=True):
        if result.rejection is not None:
            logger.warning(
                "event rejected",
                extra={
                    "message_id": delivery.message_id,
                    "reason": result.rejection.reason.value,
                    "tenant_id": result.rejection.tenant_id,
                    "event_id": result.rejection.event_id,
                },
            )
    counts = Counter(result.outcome for result in settled)
    metrics.add_metric(name="EventsStored", unit=MetricUnit.Count, value=counts[Outcome.STORED])
    metrics.add_metric(
        name="EventsDuplicate", unit=MetricUnit.Count, value=counts[Outcome.DUPLICATE]
    )
    metrics.add_metric(name="EventsRejected", unit=MetricUnit.Count, value=counts[Outcome.REJECTED])
    logger.info(
        "batch settled",
        extra={
            "stored": counts[Outcome.STORED],
            "duplicates": counts[Outcome.DUPLICATE],
            "rejected": counts[Outcome.REJECTED],
        },
    )
    return settled


processor = BulkSqsProcessor(settle)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    try:
        settings()
    except ConfigurationError as error:
        # Raising fails the whole batch, so SQS keeps every message until this is fixed.
        logger.error("invalid configuration; no record processed", extra={"error": str(error)})
        failed = len(event.get("Records", []))
        metrics.add_metric(name="EventsFailed", unit=MetricUnit.Count, value=failed)
        raise
    response = process_partial_response(
        event=event, record_handler=parse_record, processor=processor, context=context
    )
    failed = len(response.get("batchItemFailures", []))
    metrics.add_metric(name="EventsFailed", unit=MetricUnit.Count, value=failed)
    return response
