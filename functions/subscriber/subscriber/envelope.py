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
from collections.abc import Iterable
from typing import Any

from subscriber import application, cloudtrail
from subscriber.config import Settings
from subscriber.model import AuditEvent, InvalidMessage, Reason, Rejection

AWS_SOURCE_PREFIX = "aws."
# Arrays and objects nested deeper than this are rejected. Real events stay
# far below it, and it keeps json.dumps (which recurses) clear of Python's
# recursion limit.
MAX_NESTING_DEPTH = 100

_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_message(body: str, settings: Settings) -> AuditEvent | Rejection:
    """Parse one SQS message body; bad input returns a Rejection instead of raising."""
    envelope: Any = None
    try:
        envelope = _load_json(body, settings)
        _check_envelope(body, envelope)
        source = envelope["source"]
        if source.startswith(AWS_SOURCE_PREFIX):
            return cloudtrail.normalise(envelope, body, settings)
        return application.normalise(envelope, body, settings)
    except InvalidMessage as invalid:
        return Rejection(invalid.reason, invalid.message, *_known_identity(envelope))


def _known_identity(envelope: Any) -> tuple[str | None, str | None, str | None]:
    """Return (tenant id, event id, source) as far as a rejected envelope shows them."""
    if not isinstance(envelope, dict):
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


def json_type(value: Any) -> str:
    """Name a parsed JSON value's type as JSON does: object, array, string, ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:40]} is out of range")
    return value


def _load_json(body: str, settings: Settings) -> Any:
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
        value = json.loads(body, parse_constant=_reject_constant, parse_float=_parse_float)
    except RecursionError:
        raise InvalidMessage(Reason.TOO_DEEPLY_NESTED, _too_deep_message("far more than")) from None
    except ValueError as error:
        raise InvalidMessage(
            Reason.INVALID_JSON, f"message body is not valid JSON: {error}"
        ) from None
    # Every array and object opens with a bracket, so a body with few brackets
    # (brackets inside strings only raise the count) skips the walk over the value.
    if body.count("{") + body.count("[") > MAX_NESTING_DEPTH:
        depth = nesting_depth(value)
        if depth > MAX_NESTING_DEPTH:
            raise InvalidMessage(Reason.TOO_DEEPLY_NESTED, _too_deep_message(str(depth)))
    return value


def _too_deep_message(depth: str) -> str:
    return (
        f"message body nests arrays and objects {depth} levels deep; "
        f"at most {MAX_NESTING_DEPTH} are accepted"
    )


def nesting_depth(value: Any) -> int:
    """Return how many arrays and objects deep a parsed JSON value goes (a scalar is 0)."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children: Iterable[Any]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def _check_envelope(body: str, envelope: Any) -> None:
    if not isinstance(envelope, dict):
        raise InvalidMessage(
            Reason.INVALID_ENVELOPE,
            f"message body is a JSON {json_type(envelope)}, "
            "expected an EventBridge envelope object",
        )
    _check_storable(body, envelope)
    for name in ("id", "source", "detail-type"):
        value = envelope.get(name)
        if not isinstance(value, str) or not value:
            found = "missing" if name not in envelope else f"a JSON {json_type(value)}"
            raise InvalidMessage(
                Reason.INVALID_ENVELOPE,
                f"envelope field {name!r} is {found}, expected a non-empty string",
            )
    detail = envelope.get("detail")
    if not isinstance(detail, dict):
        found = "missing" if "detail" not in envelope else f"a JSON {json_type(detail)}"
        raise InvalidMessage(
            Reason.INVALID_ENVELOPE,
            f"envelope field 'detail' is {found}, expected an object",
        )


def _check_storable(body: str, envelope: dict[str, Any]) -> None:
    """Reject NUL characters and lone surrogates, which jsonb and text cannot hold.

    Both can only appear through JSON escapes, so bodies without an escape
    of either kind skip the walk over every string. JSON writes the escape
    with a lower-case u (json.loads rejects \\U), but its hex digits in either case.
    """
    if "\\u" not in body:
        return
    lowered = body.lower()
    if "\\u0000" not in lowered and "\\ud" not in lowered:
        return
    found = _find_unstorable(envelope)
    if found is not None:
        path, what = found
        raise InvalidMessage(
            Reason.UNSUPPORTED_CHARACTER,
            f"{path} contains {what}, which PostgreSQL cannot store",
        )


def _find_unstorable(value: Any) -> tuple[str, str] | None:
    """Return the JSON path of the first string or key PostgreSQL cannot store, and why."""
    pending: list[tuple[Any, str]] = [(value, "$")]
    while pending:
        item, path = pending.pop()
        if isinstance(item, str):
            problem = _unstorable_character(item)
            if problem:
                return (path, problem)
        elif isinstance(item, dict):
            for key, child in item.items():
                problem = _unstorable_character(key)
                if problem:
                    return (f"{path} (a key)", problem)
                pending.append((child, f"{path}.{key}"))
        elif isinstance(item, list):
            pending.extend((child, f"{path}[{index}]") for index, child in enumerate(item))
    return None


def _unstorable_character(text: str) -> str | None:
    if "\x00" in text:
        return "a NUL character (U+0000)"
    if _SURROGATE.search(text):
        return "a lone UTF-16 surrogate"
    return None
