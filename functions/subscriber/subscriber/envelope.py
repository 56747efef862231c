"""Turn one SQS message body into an AuditEvent or a Rejection.

The body is the EventBridge envelope as a JSON string. Application events
are validated against the versioned JSON Schema and mapped field by field;
AWS events that arrive through CloudTrail are normalised by the cloudtrail
module. Anything that can never be stored raises InvalidMessage inside this
module and comes out as a Rejection with its reason.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from subscriber import application, cloudtrail
from subscriber.config import Settings
from subscriber.model import AuditEvent, InvalidMessage, Reason, Rejection

AWS_SOURCE_PREFIX = "aws."

_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_message(body: str, settings: Settings) -> AuditEvent | Rejection:
    """Parse one SQS message body; bad input returns a Rejection instead of raising."""
    envelope: dict[str, Any] | None = None
    try:
        envelope = _load_envelope(body, settings)
        source = envelope["source"]
        if source.startswith(AWS_SOURCE_PREFIX):
            return cloudtrail.normalise(envelope, body, settings)
        return application.normalise(envelope, body, settings)
    except InvalidMessage as invalid:
        return Rejection(invalid.reason, invalid.message, *_known_identity(envelope))


def _known_identity(envelope: dict[str, Any] | None) -> tuple[str | None, str | None, str | None]:
    """Return (tenant id, event id, source) as far as a rejected envelope shows them."""
    if envelope is None:
        return (None, None, None)
    detail = envelope.get("detail")
    detail = detail if isinstance(detail, dict) else {}
    tenant_id = detail.get("tenantId")
    event_id = detail.get("eventId") or detail.get("eventID") or envelope.get("id")
    source = envelope.get("source")
    return tuple(  # type: ignore[return-value]
        value if isinstance(value, str) and value else None
        for value in (tenant_id, event_id, source)
    )


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:40]} is out of range")
    return value


def _load_envelope(body: str, settings: Settings) -> dict[str, Any]:
    try:
        size = len(body.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidMessage(
            Reason.UNSUPPORTED_CHARACTER,
            "message body contains a lone UTF-16 surrogate, which PostgreSQL cannot store",
        ) from None
    if size > settings.max_event_bytes:
        raise InvalidMessage(
            Reason.TOO_LARGE,
            f"message body is {size} bytes, over the limit of {settings.max_event_bytes} "
            "bytes (MAX_EVENT_BYTES)",
        )
    try:
        envelope = json.loads(body, parse_constant=_reject_constant, parse_float=_parse_float)
    except (ValueError, RecursionError) as error:
        raise InvalidMessage(
            Reason.INVALID_JSON, f"message body is not valid JSON: {error}"
        ) from None
    if not isinstance(envelope, dict):
        raise InvalidMessage(
            Reason.INVALID_ENVELOPE,
            f"message body is a JSON {type(envelope).__name__}, "
            "expected an EventBridge envelope object",
        )
    _check_storable(body, envelope)
    for name in ("id", "source", "detail-type"):
        value = envelope.get(name)
        if not isinstance(value, str) or not value:
            raise InvalidMessage(
                Reason.INVALID_ENVELOPE,
                f"envelope field {name!r} is missing or not a non-empty string",
            )
    if not isinstance(envelope.get("detail"), dict):
        raise InvalidMessage(
            Reason.INVALID_ENVELOPE,
            f"envelope field 'detail' is {type(envelope.get('detail')).__name__}, "
            "expected an object",
        )
    return envelope


def _check_storable(body: str, envelope: dict[str, Any]) -> None:
    """Reject NUL characters and lone surrogates, which jsonb and text cannot hold.

    Both can only appear through JSON escapes, so bodies without an escape
    of either kind skip the walk over every string.
    """
    lowered = body.lower()
    if "\\u0000" not in lowered and "\\ud" not in lowered:
        return
    path = _find_unstorable(envelope)
    if path is not None:
        raise InvalidMessage(
            Reason.UNSUPPORTED_CHARACTER,
            f"{path} contains a NUL character or a lone UTF-16 surrogate, "
            "which PostgreSQL cannot store",
        )


def _find_unstorable(value: Any) -> str | None:
    """Return the JSON path of the first string (or key) PostgreSQL cannot store."""
    pending: list[tuple[Any, str]] = [(value, "$")]
    while pending:
        item, path = pending.pop()
        if isinstance(item, str):
            if "\x00" in item or _SURROGATE.search(item):
                return path
        elif isinstance(item, dict):
            for key, child in item.items():
                if "\x00" in key or _SURROGATE.search(key):
                    return f"{path} (a key)"
                pending.append((child, f"{path}.{key}"))
        elif isinstance(item, list):
            pending.extend((child, f"{path}[{index}]") for index, child in enumerate(item))
    return None
