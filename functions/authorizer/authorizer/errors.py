"""Deny reasons, and the transient ones that AppSync must not cache."""

from __future__ import annotations

from enum import StrEnum

MAX_QUOTED_CHARS = 80


class DenyReason(StrEnum):
    MISSING_TOKEN = "missing_token"  # noqa: S105 (a reason code, not a password)
    MALFORMED_TOKEN = "malformed_token"  # noqa: S105 (a reason code, not a password)
    ALGORITHM_NOT_ALLOWED = "algorithm_not_allowed"
    MISSING_KEY_ID = "missing_key_id"
    UNKNOWN_KEY = "unknown_key"
    KEY_SET_UNAVAILABLE = "key_set_unavailable"
    WEAK_KEY = "weak_key"
    INVALID_SIGNATURE = "invalid_signature"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    INVALID_ISSUER = "invalid_issuer"
    INVALID_AUDIENCE = "invalid_audience"
    MISSING_CLAIM = "missing_claim"
    INVALID_CLAIM = "invalid_claim"
    MISSING_TENANT = "missing_tenant"
    MISSING_ROLE = "missing_role"
    UNKNOWN_ROLE = "unknown_role"
    CONFIGURATION_ERROR = "configuration_error"


# Denials that the same token may pass later: the key set comes back, a new key
# appears after the next refresh, the token's nbf or iat arrives, or an operator
# fixes the configuration. AppSync must not cache them.
TRANSIENT_REASONS = frozenset(
    {
        DenyReason.KEY_SET_UNAVAILABLE,
        DenyReason.UNKNOWN_KEY,
        DenyReason.NOT_YET_VALID,
        DenyReason.CONFIGURATION_ERROR,
    }
)


class AccessDenied(Exception):
    """Denial of a request. ``message`` explains it without quoting the token."""

    def __init__(self, reason: DenyReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message

    @property
    def transient(self) -> bool:
        return self.reason in TRANSIENT_REASONS


def quoted(value: object) -> str:
    """Return repr(value), cut to MAX_QUOTED_CHARS, for quoting token data in messages."""
    text = repr(value)
    if len(text) > MAX_QUOTED_CHARS:
        text = text[:MAX_QUOTED_CHARS] + "..."
    return text
