"""Helpers for values taken from events: times, JSON text and content hashes."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from audit_common.times import InvalidTime, parse_utc
from subscriber.model import InvalidMessage, Reason


def parse_timestamp(value: Any, field: str) -> datetime:
    """Parse an RFC 3339 time with an offset into UTC, truncated to microseconds."""
    try:
        return parse_utc(value)
    except InvalidTime as error:
        raise InvalidMessage(
            Reason.INVALID_TIMESTAMP, f"{field} is {_preview(value)}: {error}"
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
