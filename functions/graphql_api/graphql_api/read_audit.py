"""Record every read of the log as an audit_log.viewed event, through the normal ingestion path.

The event goes to the audit bus with PutEvents, like any service's event,
so it is stored, deduplicated and queried like the rest. Publishing runs in
a background thread and its errors are logged, never raised: recording a
read must not slow down or fail the read. A Lambda invocation waits for
pending publishes a short while before it returns (flush).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from audit_common.roles import READ_AUDIT_ACTION
from audit_common.times import format_utc

logger = logging.getLogger(__name__)

SOURCE = "audit-log.graphql-api"
DETAIL_TYPE = "Audit Event"


def _json_safe(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_utc(value)
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    return value


def read_event(
    *,
    subject: str,
    role: str,
    tenant_id: str,
    field_name: str,
    arguments: dict[str, Any],
    outcome: str,
    request_id: str | None,
) -> dict[str, Any]:
    """Build the detail of a read event: who read which tenant's log, with what arguments."""
    return {
        "tenantId": tenant_id,
        "action": READ_AUDIT_ACTION,
        "eventId": str(uuid.uuid4()),
        "occurredAt": format_utc(datetime.now(UTC)),
        "outcome": outcome,
        "actor": {"type": "user", "id": subject},
        "target": {"type": "tenant", "id": tenant_id},
        "context": {
            "query": field_name,
            "role": role,
            "arguments": _json_safe(arguments),
            "requestId": request_id,
        },
    }


class ReadAuditor:
    """Publishes read events to the audit bus without holding up the request."""

    def __init__(self, bus_name: str | None, make_client: Callable[[], Any]) -> None:
        self._bus_name = bus_name
        self._make_client = make_client
        self._client: Any = None
        self._pending: list[threading.Thread] = []
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self._bus_name is not None

    def record(self, detail: dict[str, Any]) -> None:
        """Start publishing one read event; return at once."""
        if not self.enabled:
            return
        thread = threading.Thread(target=self._publish, args=(detail,), daemon=True)
        with self._lock:
            self._pending = [pending for pending in self._pending if pending.is_alive()]
            self._pending.append(thread)
        thread.start()

    def flush(self, timeout_seconds: float) -> None:
        """Wait up to timeout_seconds in all for pending publishes; log what is still running."""
        with self._lock:
            pending, self._pending = self._pending, []
        deadline = time.monotonic() + timeout_seconds
        for thread in pending:
            thread.join(max(0.0, deadline - time.monotonic()))
        unfinished = sum(thread.is_alive() for thread in pending)
        if unfinished:
            logger.warning(
                "read events not yet published when the request ended",
                extra={"pending": unfinished},
            )

    def _publish(self, detail: dict[str, Any]) -> None:
        try:
            if self._client is None:
                self._client = self._make_client()
            response = self._client.put_events(
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
                logger.error(
                    "read event rejected by EventBridge",
                    extra={
                        "error_code": entry.get("ErrorCode"),
                        "error": entry.get("ErrorMessage"),
                        "tenant_id": detail["tenantId"],
                    },
                )
        except Exception as error:  # noqa: BLE001 - a failed record must not fail the read
            logger.error(
                "read event not published",
                extra={
                    "error": f"{type(error).__name__}: {error}",
                    "tenant_id": detail["tenantId"],
                },
            )
