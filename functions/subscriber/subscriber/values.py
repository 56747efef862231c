"""Helpers for values taken from events: times, JSON text and content hashes."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Any

from subscriber.model import InvalidMessage, Reason

# RFC 3339 date-time with a mandatory offset; any number of fractional digits.
_TIMESTAMP = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}"
    r"(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)


def parse_timestamp(value: Any, field: str) -> datetime:
    """Parse an RFC 3339 time with an offset into UTC, truncated to microseconds."""
    if not isinstance(value, str) or not _TIMESTAMP.match(value):
        raise InvalidMessage(
            Reason.INVALID_TIMESTAMP,
            f"{field} is {_preview(value)}, expected an ISO 8601 time with an offset, "
            "such as 2026-01-31T12:00:00.123456Z",
        )
    try:
        parsed = datetime.fromisoformat(value.upper().replace(" ", "T"))
    except ValueError:
        raise InvalidMessage(
            Reason.INVALID_TIMESTAMP,
            f"{field} is {_preview(value)}, which is not a valid time: check the day of "
            "the month, the hour (00 to 23) and the offset (-23:59 to +23:59)",
        ) from None
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise InvalidMessage(
            Reason.INVALID_TIMESTAMP,
            f"{field} is {_preview(value)}, which falls outside years 1 to 9999 in UTC",
        ) from None


def _preview(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=True)
    return text if len(text) <= 60 else text[:57] + "..."


def canonical_json(value: Any) -> str:
    """Serialise deterministically: sorted keys, no whitespace, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_sha256(envelope: dict[str, Any], detail: dict[str, Any] | None = None) -> bytes:
    """Hash what identifies an event's content: source, detail-type and detail.

    The envelope id and time are left out, so the same event published twice
    (two PutEvents calls, two envelope ids) has the same hash. ``detail``
    replaces the envelope's detail, for a caller that normalised it first.
    """
    content = {
        "source": envelope["source"],
        "detail-type": envelope["detail-type"],
        "detail": envelope["detail"] if detail is None else detail,
    }
    return hashlib.sha256(canonical_json(content).encode("utf-8")).digest()


def optional_json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
