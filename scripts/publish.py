"""Publish audit events the way they reach the ingestion queue in AWS.

* Application events go through EventBridge: ``put_events`` sends them to the custom
  bus with PutEvents and checks every entry of every response.
* AWS service events cannot be sent with PutEvents, because sources that begin with
  ``aws.`` are reserved. In AWS they reach the queue through the
  ``aws-cloudtrail-events`` rule on the default bus. ``deliver_aws_events`` replaces
  that rule locally: it sends each envelope that matches the rule's pattern to the queue,
  unchanged, as the message body, exactly as EventBridge's SQS target does.
* ``wrap_cloudtrail_record`` turns a raw CloudTrail record into the envelope that
  EventBridge would deliver for it.
"""

from __future__ import annotations

import json
import logging
import random
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from event_pattern import EventPattern

logger = logging.getLogger(__name__)

MAX_ENTRIES_PER_CALL = 10
# The PutEvents entry limit was 256 KB for years. AWS raised it to 1 MB in January 2026
# ("More room to build", AWS Compute Blog). The lower default keeps events valid on
# older emulators too.
DEFAULT_MAX_ENTRY_BYTES = 256 * 1024
# SQS limits one message and the sum of one SendMessageBatch call alike: 256 KiB for
# years, 1 MiB on AWS now (same blog post). moto 5.2.5 checks neither.
DEFAULT_MAX_BATCH_BYTES = 256 * 1024
RETRYABLE_ERROR_CODES = frozenset({"InternalFailure", "ThrottlingException"})
DEFAULT_MAX_ATTEMPTS = 5
RESERVED_SOURCE_PREFIX = "aws."

Sleep = Callable[[float], None]


# -- PutEvents ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One application event for PutEvents.

    ``detail`` becomes the envelope's ``detail`` object. None sends no Detail at all,
    which EventBridge rejects for that entry only.
    """

    source: str
    detail_type: str
    detail: Mapping[str, Any] | None
    resources: Sequence[str] = ()
    time: datetime | None = None


@dataclass(frozen=True)
class EntryFailure:
    """An entry that PutEvents or SendMessageBatch did not accept, by input index."""

    index: int
    code: str
    message: str

    def __str__(self) -> str:
        return f"entry {self.index}: {self.code}: {self.message}"


class PublishError(RuntimeError):
    """Some entries were not accepted, after retrying those with retryable codes.

    ``ids`` is in input order: the EventId (PutEvents) or MessageId (SQS) of each
    accepted entry, None for the others. Entries with an id were accepted and must not
    be sent again.
    """

    def __init__(self, action: str, failures: list[EntryFailure], ids: list[str | None]):
        self.failures = failures
        self.ids = ids
        listed = "; ".join(str(failure) for failure in failures[:10])
        more = f" (and {len(failures) - 10} more)" if len(failures) > 10 else ""
        super().__init__(f"{action} failed for {len(failures)} entries: {listed}{more}")


def put_events(
    events_client: Any,
    bus_name: str,
    entries: Iterable[Entry | tuple[str, str, Mapping[str, Any] | None]],
    *,
    max_entry_bytes: int = DEFAULT_MAX_ENTRY_BYTES,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    base_delay_seconds: float = 0.1,
    max_delay_seconds: float = 5.0,
    sleep: Sleep = time.sleep,
) -> list[str]:
    """Send application events to an event bus and return their EventIds in input order.

    Entries are ``Entry`` objects or ``(source, detail_type, detail)`` tuples. They are
    all checked before the first call, so an invalid entry sends nothing: a reserved
    ``aws.`` source, an empty source or detail type, or an entry larger than
    ``max_entry_bytes`` raises ValueError naming its index.

    A call carries at most 10 entries. PutEvents can return HTTP 200 with some entries
    failed, so each response entry is checked. Only the entries that failed with
    InternalFailure or ThrottlingException are sent again, with exponential backoff,
    up to ``max_attempts`` sends in all. Any other failure raises PublishError once
    every entry was tried.
    """
    if max_attempts < 1:
        raise ValueError(f"max_attempts={max_attempts} is invalid: use 1 or more")
    prepared = [
        _prepare_entry(index, entry, max_entry_bytes) for index, entry in enumerate(entries)
    ]
    event_ids: list[str | None] = [None] * len(prepared)
    failures: list[EntryFailure] = []
    for start in range(0, len(prepared), MAX_ENTRIES_PER_CALL):
        pending = list(range(start, min(start + MAX_ENTRIES_PER_CALL, len(prepared))))
        for attempt in range(1, max_attempts + 1):
            request = [{**prepared[index], "EventBusName": bus_name} for index in pending]
            response = events_client.put_events(Entries=request)
            retry = _collect_put_results(
                response, pending, event_ids, failures, last_attempt=attempt == max_attempts
            )
            if not retry:
                break
            delay = backoff_delay(attempt, base_delay_seconds, max_delay_seconds)
            logger.warning(
                "PutEvents to %s: retrying entries %s in %.2f s (attempt %d of %d)",
                bus_name,
                retry,
                delay,
                attempt + 1,
                max_attempts,
            )
            sleep(delay)
            pending = retry
    if failures:
        raise PublishError(f"PutEvents to {bus_name}", sorted(failures, key=_by_index), event_ids)
    return [event_id for event_id in event_ids if event_id is not None]


def _collect_put_results(
    response: Mapping[str, Any],
    pending: list[int],
    event_ids: list[str | None],
    failures: list[EntryFailure],
    *,
    last_attempt: bool,
) -> list[int]:
    """Record the EventIds and failures of one PutEvents response and return indexes to retry."""
    results = response.get("Entries", [])
    if len(results) != len(pending):
        raise RuntimeError(
            f"PutEvents returned {len(results)} result entries for {len(pending)} sent "
            f"(entries {pending}): cannot tell which ones were accepted"
        )
    retry = []
    failed = 0
    for index, result in zip(pending, results, strict=True):
        code = result.get("ErrorCode")
        if not code and result.get("EventId"):
            event_ids[index] = result["EventId"]
            continue
        failed += 1
        code = code or "MissingEventId"
        if code in RETRYABLE_ERROR_CODES and not last_attempt:
            retry.append(index)
        else:
            message = result.get("ErrorMessage") or "no EventId and no error message returned"
            failures.append(EntryFailure(index, code, message))
    if response.get("FailedEntryCount", 0) != failed:
        logger.warning(
            "PutEvents reported FailedEntryCount=%s but %d of %d entries have no EventId",
            response.get("FailedEntryCount"),
            failed,
            len(pending),
        )
    return retry


def _prepare_entry(
    index: int, entry: Entry | tuple[str, str, Mapping[str, Any] | None], max_entry_bytes: int
) -> dict[str, Any]:
    if not isinstance(entry, Entry):
        try:
            source, detail_type, detail = entry
        except (TypeError, ValueError):
            raise TypeError(
                f"entry {index} must be an Entry or a (source, detail_type, detail) tuple, "
                f"got {entry!r}"
            ) from None
        entry = Entry(source, detail_type, detail)
    if not isinstance(entry.source, str) or not entry.source:
        raise ValueError(f"entry {index}: source must be a non-empty string, got {entry.source!r}")
    if entry.source.startswith(RESERVED_SOURCE_PREFIX):
        raise ValueError(
            f"entry {index}: source {entry.source!r} is invalid because sources that begin "
            f"with {RESERVED_SOURCE_PREFIX!r} are reserved for AWS services. Deliver AWS "
            "events with deliver_aws_events() instead"
        )
    if not isinstance(entry.detail_type, str) or not entry.detail_type:
        raise ValueError(
            f"entry {index}: detail_type must be a non-empty string, got {entry.detail_type!r}"
        )
    request: dict[str, Any] = {"Source": entry.source, "DetailType": entry.detail_type}
    if entry.detail is not None:
        if not isinstance(entry.detail, Mapping):
            raise ValueError(
                f"entry {index}: detail must be a JSON object (a mapping), "
                f"got {type(entry.detail).__name__}"
            )
        try:
            request["Detail"] = json.dumps(entry.detail, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError) as error:
            raise ValueError(f"entry {index}: detail is not valid JSON: {error}") from error
    if entry.resources:
        request["Resources"] = list(entry.resources)
    if entry.time is not None:
        request["Time"] = entry.time
    size = put_events_entry_size(request)
    if size > max_entry_bytes:
        raise ValueError(
            f"entry {index} (source {entry.source!r}, detail type {entry.detail_type!r}) is "
            f"{size} bytes, over the PutEvents entry limit of {max_entry_bytes} bytes: "
            "shrink its detail, for example by storing the payload elsewhere and sending a "
            "reference to it"
        )
    return request


def put_events_entry_size(request_entry: Mapping[str, Any]) -> int:
    """Return the size EventBridge counts against the entry limit.

    EventBridge adds the UTF-8 lengths of Source, DetailType, Detail and each Resources
    item, plus 14 bytes when Time is set ("Calculating PutEvents event entry size",
    EventBridge User Guide).
    """
    size = 14 if request_entry.get("Time") is not None else 0
    for key in ("Source", "DetailType", "Detail"):
        value = request_entry.get(key)
        if value is not None:
            size += len(value.encode("utf-8"))
    for resource in request_entry.get("Resources") or ():
        size += len(resource.encode("utf-8"))
    return size


def backoff_delay(attempt: int, base_seconds: float, max_seconds: float) -> float:
    """Return the wait after failed attempt ``attempt`` (1-based): capped exponential, jittered.

    The delay is drawn between half and all of ``min(max_seconds, base_seconds * 2**(attempt-1))``,
    so that clients throttled together do not retry together.
    """
    ceiling = min(max_seconds, base_seconds * 2 ** (attempt - 1))
    return random.uniform(ceiling / 2, ceiling)


def _by_index(failure: EntryFailure) -> int:
    return failure.index


# -- AWS service events -----------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryResult:
    """How many AWS envelopes ``deliver_aws_events`` sent to the queue and how many it skipped."""

    delivered: int
    unmatched: int


def deliver_aws_events(
    sqs_client: Any,
    queue_url: str,
    envelopes: Iterable[Mapping[str, Any]],
    pattern: Mapping[str, Any] | EventPattern,
    *,
    max_batch_bytes: int = DEFAULT_MAX_BATCH_BYTES,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    base_delay_seconds: float = 0.1,
    max_delay_seconds: float = 5.0,
    sleep: Sleep = time.sleep,
) -> DeliveryResult:
    """Send each envelope that matches ``pattern`` to the queue as EventBridge would.

    The message body is the envelope as JSON, unchanged. Envelopes that do not match
    are counted, not sent. Messages go out with SendMessageBatch, at most 10 and
    ``max_batch_bytes`` per call. Entries that SQS failed through its own fault
    (SenderFault false) are sent again with exponential backoff, and any other failure
    raises PublishError after all messages were tried.
    """
    if max_attempts < 1:
        raise ValueError(f"max_attempts={max_attempts} is invalid: use 1 or more")
    compiled = pattern if isinstance(pattern, EventPattern) else EventPattern(pattern)
    bodies: list[tuple[int, str]] = []
    unmatched = 0
    total = 0
    for index, envelope in enumerate(envelopes):
        total += 1
        if not isinstance(envelope, Mapping):
            raise TypeError(
                f"envelope {index} must be a JSON object, got {type(envelope).__name__}"
            )
        if not compiled.matches(envelope):
            unmatched += 1
            continue
        body = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False)
        if len(body.encode("utf-8")) > max_batch_bytes:
            raise ValueError(
                f"envelope {index} (id {envelope.get('id')!r}) is "
                f"{len(body.encode('utf-8'))} bytes as JSON, over the SQS message limit of "
                f"{max_batch_bytes} bytes: raise max_batch_bytes if the queue allows more"
            )
        bodies.append((index, body))

    message_ids: list[str | None] = [None] * total
    failures: list[EntryFailure] = []
    for batch in _sqs_batches(bodies, max_batch_bytes):
        _send_batch(
            sqs_client,
            queue_url,
            batch,
            message_ids,
            failures,
            max_attempts=max_attempts,
            base_delay_seconds=base_delay_seconds,
            max_delay_seconds=max_delay_seconds,
            sleep=sleep,
        )
    if failures:
        raise PublishError(
            f"SendMessageBatch to {queue_url}", sorted(failures, key=_by_index), message_ids
        )
    return DeliveryResult(delivered=len(bodies), unmatched=unmatched)


def _sqs_batches(
    bodies: list[tuple[int, str]], max_batch_bytes: int
) -> Iterable[list[tuple[int, str]]]:
    """Yield groups of (envelope index, body) within the SQS batch limits."""
    batch: list[tuple[int, str]] = []
    batch_bytes = 0
    for index, body in bodies:
        size = len(body.encode("utf-8"))
        if batch and (len(batch) == MAX_ENTRIES_PER_CALL or batch_bytes + size > max_batch_bytes):
            yield batch
            batch, batch_bytes = [], 0
        batch.append((index, body))
        batch_bytes += size
    if batch:
        yield batch


def _send_batch(
    sqs_client: Any,
    queue_url: str,
    batch: list[tuple[int, str]],
    message_ids: list[str | None],
    failures: list[EntryFailure],
    *,
    max_attempts: int,
    base_delay_seconds: float,
    max_delay_seconds: float,
    sleep: Sleep,
) -> None:
    # Batch entry ids only need to be unique within one call.
    pending = {f"m{index}": (index, body) for index, body in batch}
    for attempt in range(1, max_attempts + 1):
        entries = [{"Id": entry_id, "MessageBody": body} for entry_id, (_, body) in pending.items()]
        response = sqs_client.send_message_batch(QueueUrl=queue_url, Entries=entries)
        for success in response.get("Successful", []):
            index, _ = pending.pop(success["Id"])
            message_ids[index] = success["MessageId"]
        retry = {}
        for failed in response.get("Failed", []):
            index, body = pending.pop(failed["Id"])
            if not failed.get("SenderFault") and attempt < max_attempts:
                retry[failed["Id"]] = (index, body)
            else:
                failures.append(EntryFailure(index, failed["Code"], failed.get("Message", "")))
        for index, _ in pending.values():
            failures.append(
                EntryFailure(index, "MissingResult", "SendMessageBatch returned no result for it")
            )
        if not retry:
            return
        delay = backoff_delay(attempt, base_delay_seconds, max_delay_seconds)
        logger.warning(
            "SendMessageBatch to %s: retrying envelopes %s in %.2f s (attempt %d of %d)",
            queue_url,
            [index for index, _ in retry.values()],
            delay,
            attempt + 1,
            max_attempts,
        )
        sleep(delay)
        pending = retry


# -- CloudTrail records -----------------------------------------------------------------------

CLOUDTRAIL_DETAIL_TYPES = {
    "AwsApiCall": "AWS API Call via CloudTrail",
    "AwsConsoleSignIn": "AWS Console Sign In via CloudTrail",
    # Some older records spell it with a lower-case i.
    "AwsConsoleSignin": "AWS Console Sign In via CloudTrail",
    "AwsServiceEvent": "AWS Service Event via CloudTrail",
    "AwsCloudTrailInsight": "AWS Insight via CloudTrail",
}
# Any fixed namespace would do, but changing it changes every envelope id.
_ENVELOPE_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:audit-log:cloudtrail-envelope")


def wrap_cloudtrail_record(
    record: Mapping[str, Any],
    *,
    default_account: str | None = None,
    default_region: str | None = None,
) -> dict[str, Any]:
    """Return the EventBridge envelope that AWS would deliver for a CloudTrail record.

    The record becomes ``detail`` unchanged. ``id`` is a UUID derived from the record's
    canonical JSON, so the same record always gets the same envelope. ``account``
    comes from recipientAccountId, else userIdentity.accountId, else
    ``default_account``, and is left out when none is known. ``region`` likewise
    comes from awsRegion, else ``default_region``. Raises ValueError for an unknown
    eventType or a record without eventTime.
    """
    if not isinstance(record, Mapping):
        raise TypeError(f"a CloudTrail record must be a JSON object, got {type(record).__name__}")
    event_type = record.get("eventType", "AwsApiCall")
    detail_type = CLOUDTRAIL_DETAIL_TYPES.get(event_type)
    if detail_type is None:
        raise ValueError(
            f"CloudTrail record {record.get('eventID')!r} has unknown eventType {event_type!r}. "
            f"Known types: {', '.join(CLOUDTRAIL_DETAIL_TYPES)}"
        )
    event_time = record.get("eventTime")
    if not event_time:
        raise ValueError(f"CloudTrail record {record.get('eventID')!r} has no eventTime")

    canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    envelope: dict[str, Any] = {
        "version": "0",
        "id": str(uuid.uuid5(_ENVELOPE_ID_NAMESPACE, canonical)),
        "detail-type": detail_type,
        "source": cloudtrail_source(record.get("eventSource")),
    }
    user_identity = record.get("userIdentity")
    identity_account = (
        user_identity.get("accountId") if isinstance(user_identity, Mapping) else None
    )
    account = record.get("recipientAccountId") or identity_account or default_account
    if account:
        envelope["account"] = account
    envelope["time"] = event_time
    region = record.get("awsRegion") or default_region
    if region:
        envelope["region"] = region
    envelope["resources"] = []
    envelope["detail"] = record
    return envelope


def cloudtrail_source(event_source: str | None) -> str:
    """Return the EventBridge source for a CloudTrail eventSource: s3.amazonaws.com -> aws.s3."""
    if not event_source:
        return "aws.cloudtrail"
    service = event_source.removesuffix(".amazonaws.com")
    if service == event_source:
        service = event_source.split(".", 1)[0]
    return f"aws.{service}"
