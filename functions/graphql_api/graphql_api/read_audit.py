"""Record every read of the log as an audit_log.viewed event, through the normal ingestion path.

The event goes to the audit bus with PutEvents, like any service's event,
so it is stored, deduplicated and queried like the rest. Publishing runs in
background threads and its errors are logged, never raised: recording a
read must not fail the read. A Lambda invocation waits up to a second for
pending publishes before it returns (flush), since a frozen execution
environment runs no threads.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime
from typing import Any

from audit_common.roles import READ_AUDIT_ACTION, READ_AUDIT_SOURCE
from audit_common.times import format_utc
from graphql_api.filters import storable

logger = logging.getLogger(__name__)

SOURCE = READ_AUDIT_SOURCE
DETAIL_TYPE = "Audit Event"


# Recorded arguments are cut to this size, so that a read event always fits the
# event contract and EventBridge's entry limit, whatever the request held.
MAX_ARGUMENTS_BYTES = 8_192


def _graphql_names(value: Any) -> Any:
    """Record arguments as the client wrote them: camelCase keys, JSON values.

    NUL characters and lone surrogates, which the subscriber rejects, become
    U+FFFD, so that a read with such arguments is still recorded.
    """
    if isinstance(value, datetime):
        return format_utc(value)
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {storable(_camel_case(key)): _graphql_names(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_graphql_names(item) for item in value]
    return value


def _camel_case(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _bounded(arguments: dict[str, Any]) -> dict[str, Any]:
    recorded = _graphql_names(arguments)
    text = json.dumps(recorded, ensure_ascii=True, separators=(",", ":"))
    if len(text) <= MAX_ARGUMENTS_BYTES:
        return recorded
    return {
        "omitted": f"the arguments are {len(text)} bytes as JSON, over {MAX_ARGUMENTS_BYTES}",
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
    }


def read_event(
    *,
    subject: str,
    role: str,
    log_tenant: str,
    target_tenant: str,
    field_name: str,
    arguments: dict[str, Any],
    outcome: str,
    request_id: str | None,
) -> dict[str, Any]:
    """Build the detail of a read event: who read which tenant's log, with what arguments."""
    return {
        "tenantId": log_tenant,
        "action": READ_AUDIT_ACTION,
        "eventId": str(uuid.uuid4()),
        "occurredAt": format_utc(datetime.now(UTC)),
        "outcome": outcome,
        "actor": {"type": "user", "id": subject},
        "target": {"type": "tenant", "id": target_tenant},
        "context": {
            "query": field_name,
            "role": role,
            "arguments": _bounded(arguments),
            "requestId": request_id,
        },
    }


class ReadAuditor:
    """Publishes read events to the audit bus without holding up the request.

    A small pool of worker threads does the publishing, so a burst of reads
    queues up instead of starting a thread each. A read event that cannot
    be published is logged whole, at error level, so it can be replayed
    from the logs; it is never dropped silently.
    """

    WORKERS = 4

    def __init__(self, bus_name: str | None, make_client: Callable[[], Any]) -> None:
        self._bus_name = bus_name
        self._make_client = make_client
        self._client: Any = None
        self._client_lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._pending: set[Future[None]] = set()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self._bus_name is not None

    def record(self, detail: dict[str, Any]) -> None:
        """Queue one read event for publishing; return at once."""
        if not self.enabled:
            return
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=self.WORKERS, thread_name_prefix="read-audit"
                )
            future = self._executor.submit(self._publish, detail)
            self._pending.add(future)
        future.add_done_callback(self._forget)

    def flush(self, timeout_seconds: float) -> None:
        """Wait up to timeout_seconds in all for queued publishes; log how many remain."""
        with self._lock:
            pending = set(self._pending)
        _, unfinished = wait(pending, timeout=timeout_seconds)
        if unfinished:
            logger.warning(
                "read events not yet published when the request ended",
                extra={"pending": len(unfinished)},
            )

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._pending.discard(future)

    def _bus_client(self) -> Any:
        with self._client_lock:
            if self._client is None:
                self._client = self._make_client()
            return self._client

    def _publish(self, detail: dict[str, Any]) -> None:
        try:
            response = self._bus_client().put_events(
                Entries=[
                    {
                        "EventBusName": self._bus_name,
                        "Source": SOURCE,
                        "DetailType": DETAIL_TYPE,
                        "Detail": json.dumps(detail, ensure_ascii=False),
                    }
                ]
            )
            if response.get("FailedEntryCount"):
                entry = response["Entries"][0]
                _log_unpublished(detail, f"{entry.get('ErrorCode')}: {entry.get('ErrorMessage')}")
        except Exception as error:  # noqa: BLE001 - a failed record must not fail the read
            _log_unpublished(detail, f"{type(error).__name__}: {error}")


def _log_unpublished(detail: dict[str, Any], error: str) -> None:
    # The detail is bounded (see MAX_ARGUMENTS_BYTES), so logging it whole is safe.
    logger.error(
        "read event not published; its detail is in this log line",
        extra={"error": error, "tenant_id": detail["tenantId"], "detail": detail},
    )
