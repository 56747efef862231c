"""Normalise application audit events: validate `detail` against the contract."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import fastjsonschema

from audit_common.roles import READ_AUDIT_ACTION, READ_AUDIT_SOURCE
from subscriber.config import Settings
from subscriber.model import AuditEvent, InvalidMessage, Reason
from subscriber.values import content_sha256, optional_json, parse_timestamp

SCHEMA_VERSION = "v1"
# Actions that only the service itself publishes, such as audit_log.viewed.
RESERVED_ACTION_PREFIX = READ_AUDIT_ACTION.split(".")[0] + "."
SCHEMA = json.loads(
    resources.files("subscriber").joinpath(f"schemas/audit-event.{SCHEMA_VERSION}.json").read_text()
)
# Compiled once per process: fastjsonschema turns the schema into Python code.
_validate_detail = fastjsonschema.compile(SCHEMA)


def validate_detail(detail: dict[str, Any]) -> None:
    """Raise InvalidMessage(SCHEMA_VIOLATION) naming the first field that breaks the contract."""
    try:
        _validate_detail(detail)
    except fastjsonschema.JsonSchemaValueException as error:
        raise InvalidMessage(
            Reason.SCHEMA_VIOLATION,
            f"{_describe_violation(error)} (audit event schema {SCHEMA_VERSION})",
        ) from None


def _describe_violation(error: fastjsonschema.JsonSchemaValueException) -> str:
    # fastjsonschema names the validated value "data"; for publishers it is "detail".
    name = "detail" + (error.name or "data").removeprefix("data")
    definition = error.definition if isinstance(error.definition, dict) else {}
    if error.rule == "pattern" and definition.get("description"):
        # A regular expression helps nobody; the field's description says what is expected.
        return f"{name} has an invalid format: {definition['description']}"
    if error.rule == "dependencies":
        return f"{name}: an eventId needs an occurredAt, so that a retry is recognised"
    message = error.message
    return "detail" + message.removeprefix("data") if message.startswith("data") else message


def normalise(envelope: dict[str, Any], body: str, settings: Settings) -> AuditEvent:
    """Map a validated application event onto the columns of audit.events."""
    detail: dict[str, Any] = envelope["detail"]
    validate_detail(detail)
    action = detail["action"]
    # Letter case too: Audit_Log.Viewed would pass for a read event in a listing.
    if action.casefold().startswith(RESERVED_ACTION_PREFIX) and (
        envelope["source"] != READ_AUDIT_SOURCE
    ):
        raise InvalidMessage(
            Reason.RESERVED_ACTION,
            f"detail.action {action!r} is in the {RESERVED_ACTION_PREFIX!r} namespace, in any "
            f"letter case, which records the audit log's own activity (such as "
            f"{READ_AUDIT_ACTION!r}); only the source {READ_AUDIT_SOURCE!r} may publish it, "
            f"not {envelope['source']!r}; choose another action name",
        )

    metadata_json = optional_json(detail.get("metadata"))
    if metadata_json is not None:
        size = len(metadata_json.encode("utf-8"))
        if size > settings.max_metadata_bytes:
            raise InvalidMessage(
                Reason.TOO_LARGE,
                f"detail.metadata is {size} bytes as JSON, over the limit of "
                f"{settings.max_metadata_bytes} bytes (MAX_METADATA_BYTES)",
            )

    if "occurredAt" in detail:
        occurred_at = parse_timestamp(detail["occurredAt"], "detail.occurredAt")
        # The same instant written with another offset is the same event.
        hashed_detail = {**detail, "occurredAt": occurred_at.isoformat()}
    else:
        occurred_at = parse_timestamp(envelope.get("time"), "envelope time")
        hashed_detail = detail

    actor: dict[str, Any] = detail["actor"]
    target: dict[str, Any] = detail.get("target") or {}
    return AuditEvent(
        tenant_id=detail["tenantId"],
        event_id=detail.get("eventId") or envelope["id"],
        occurred_at=occurred_at,
        source=envelope["source"],
        detail_type=envelope["detail-type"],
        action=detail["action"],
        outcome=detail.get("outcome", "success"),
        actor_type=actor["type"],
        actor_id=actor["id"],
        actor_name=actor.get("name"),
        actor_ip=actor.get("ip"),
        actor_user_agent=actor.get("userAgent"),
        target_type=target.get("type"),
        target_id=target.get("id"),
        target_name=target.get("name"),
        # Copied from the stored original by the database, which keeps numbers exact.
        changes_json=None,
        context_json=None,
        metadata_json=None,
        original_json=body,
        content_sha256=content_sha256(envelope, hashed_detail),
    )
