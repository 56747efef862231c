"""What parsing a message produces: an event to store, or a rejection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Reason(StrEnum):
    """Stable reason codes stored in audit.rejected_events.reason."""

    INVALID_JSON = "invalid_json"
    INVALID_ENVELOPE = "invalid_envelope"
    SCHEMA_VIOLATION = "schema_violation"
    INVALID_TIMESTAMP = "invalid_timestamp"
    UNSUPPORTED_CHARACTER = "unsupported_character"
    TOO_LARGE = "too_large"
    UNMAPPED_ACCOUNT = "unmapped_account"
    UNSUPPORTED_EVENT_TYPE = "unsupported_event_type"
    TOO_DEEPLY_NESTED = "too_deeply_nested"
    OUTSIDE_RETENTION = "outside_retention"
    RESERVED_ACTION = "reserved_action"
    CONFLICTING_DUPLICATE = "conflicting_duplicate"
    DATABASE_REJECTED = "database_rejected"


class Outcome(StrEnum):
    """What became of one SQS message that was settled (not left for a retry)."""

    STORED = "stored"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


class InvalidMessage(ValueError):
    """A message that can never be stored; carries the rejection reason."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One event, normalised into the columns of audit.events."""

    tenant_id: str
    event_id: str
    occurred_at: datetime  # timezone-aware, UTC
    source: str
    detail_type: str
    action: str
    outcome: str
    actor_type: str
    actor_id: str
    actor_name: str | None
    actor_ip: str | None
    actor_user_agent: str | None
    target_type: str | None
    target_id: str | None
    target_name: str | None
    # For application events these stay None: the database copies them from
    # original's detail (see store.INSERT_SQL).
    changes_json: str | None
    context_json: str | None
    metadata_json: str | None
    original_json: str  # the SQS body: the EventBridge envelope exactly as delivered
    content_sha256: bytes

    @property
    def key(self) -> tuple[str, str, datetime]:
        return (self.tenant_id, self.event_id, self.occurred_at)


@dataclass(frozen=True, slots=True)
class Rejection:
    """A message that can never be stored, with what is known about it."""

    reason: Reason
    message: str
    tenant_id: str | None = None
    event_id: str | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """One SQS message and what parsing made of it."""

    message_id: str
    body: str
    parsed: AuditEvent | Rejection

    @property
    def event(self) -> AuditEvent:
        """The parsed event, for code that handles only deliveries that parsed."""
        if not isinstance(self.parsed, AuditEvent):
            raise TypeError(f"message {self.message_id} was rejected, not parsed into an event")
        return self.parsed


@dataclass(frozen=True, slots=True)
class Settled:
    """What became of one delivery, with the rejection when it was rejected."""

    outcome: Outcome
    rejection: Rejection | None = None
