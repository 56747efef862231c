"""Opaque, signed keyset cursors: the (occurred_at, event_id) of the last row of a page.

A cursor is base64url(JSON payload) "." base64url(HMAC-SHA256 of the payload),
with the payload {"v": 1, "t": microseconds since the epoch, "e": event id,
"f": the filter's fingerprint}. The signature stops a client from forging a
position; the fingerprint binds the cursor to the tenant and filter that
issued it, so it can never page through anything else.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from graphql_api.errors import ApiError, ErrorType

VERSION = 1
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# An event id of 256 characters, each escaped to 6 bytes in JSON, still fits.
MAX_CURSOR_LENGTH = 4096
_SIGNATURE_BYTES = 16


@dataclass(frozen=True)
class Position:
    """Where a page ended: the last row's sort key."""

    occurred_at: datetime
    event_id: str


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    # validate=True rejects characters outside the URL-safe alphabet instead of skipping them.
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


def _sign(payload: bytes, key: bytes) -> bytes:
    return hmac.new(key, payload, hashlib.sha256).digest()[:_SIGNATURE_BYTES]


def encode_cursor(position: Position, fingerprint: str, key: bytes) -> str:
    micros = (position.occurred_at - EPOCH) // timedelta(microseconds=1)
    payload = json.dumps(
        {"v": VERSION, "t": micros, "e": position.event_id, "f": fingerprint},
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode("utf-8")
    return f"{_encode(payload)}.{_encode(_sign(payload, key))}"


def _bad_cursor(reason: str) -> ApiError:
    return ApiError(
        ErrorType.BAD_CURSOR,
        f"cursor {reason}; pass the endCursor of the previous page unchanged, "
        "or omit after to start from the first page",
    )


def decode_cursor(cursor: str, fingerprint: str, key: bytes) -> Position:
    """Check the signature and the filter binding; raise BAD_CURSOR when either fails."""
    if len(cursor) > MAX_CURSOR_LENGTH or cursor.count(".") != 1:
        raise _bad_cursor("is malformed")
    encoded_payload, encoded_signature = cursor.split(".")
    try:
        payload = _decode(encoded_payload)
        signature = _decode(encoded_signature)
    except (binascii.Error, ValueError):
        raise _bad_cursor("is malformed") from None
    if not hmac.compare_digest(signature, _sign(payload, key)):
        raise _bad_cursor(
            "has an invalid signature: it was changed, or issued by another deployment"
        )
    try:
        fields = json.loads(payload)
        micros, event_id, bound_to = fields["t"], fields["e"], fields["f"]
        version = fields["v"]
    except (ValueError, TypeError, KeyError):
        raise _bad_cursor("is malformed") from None
    if version != VERSION or not isinstance(micros, int) or not isinstance(event_id, str):
        raise _bad_cursor("is malformed")
    if bound_to != fingerprint:
        raise _bad_cursor("was issued for another tenant or filter")
    try:
        occurred_at = EPOCH + timedelta(microseconds=micros)
    except OverflowError:
        raise _bad_cursor("is malformed") from None
    return Position(occurred_at, event_id)
