"""Decide an AppSync authorization request: validate the token, then map its claims.

In-process use (the local server)::

    authorizer = Authorizer(load_settings())
    decision = authorizer.decide(request.headers.get("Authorization"))
    if decision.is_authorized:
        caller = caller_from_claims(decision.resolver_context)
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from authorizer.claims import Entitlements, map_claims
from authorizer.errors import AccessDenied, DenyReason
from authorizer.settings import AuthorizerSettings
from authorizer.tokens import TokenValidator

logger = logging.getLogger(__name__)

BEARER_SCHEME = "bearer"
# AppSync may cache the denial of a token that can never pass (expired, forged,
# without a tenant), which saves invocations when a client retries with it.
PERMANENT_DENY_TTL_SECONDS = 60


@dataclass(frozen=True)
class Decision:
    """The outcome of one authorization request, and how long AppSync may cache it."""

    is_authorized: bool
    ttl_seconds: int
    entitlements: Entitlements | None = None
    reason: DenyReason | None = None
    # Explanation of a denial, for the log. to_response() leaves it out.
    message: str | None = None

    @property
    def resolver_context(self) -> dict[str, str]:
        return {} if self.entitlements is None else self.entitlements.resolver_context()

    @property
    def denied_fields(self) -> list[str]:
        return [] if self.entitlements is None else self.entitlements.denied_fields()

    def to_response(self) -> dict[str, Any]:
        """Return the AppSync Lambda authorizer response."""
        return {
            "isAuthorized": self.is_authorized,
            "resolverContext": self.resolver_context,
            "deniedFields": self.denied_fields,
            "ttlOverride": self.ttl_seconds,
        }


def deny_uncached(reason: DenyReason, message: str) -> Decision:
    """Return a denial that AppSync does not cache, for failures outside the token."""
    return Decision(is_authorized=False, ttl_seconds=0, reason=reason, message=message)


def request_id_of(event: Mapping[str, Any]) -> str | None:
    """Return the AppSync request id of an authorizer event, for the log."""
    request_context = event.get("requestContext")
    if isinstance(request_context, Mapping) and isinstance(request_context.get("requestId"), str):
        return request_context["requestId"]
    return None


def bearer_token(authorization: object) -> str:
    """Return the token of an authorization value, with or without a "Bearer " prefix."""
    words = authorization.split() if isinstance(authorization, str) else []
    if words and words[0].lower() == BEARER_SCHEME:
        words = words[1:]
    if not words:
        raise AccessDenied(
            DenyReason.MISSING_TOKEN,
            "the request has no token; send a JWT in the Authorization header",
        )
    if len(words) > 1:
        raise AccessDenied(
            DenyReason.MALFORMED_TOKEN,
            f"the authorization value has {len(words)} space-separated parts where one "
            "token was expected; send 'Bearer <JWT>' or the JWT alone",
        )
    return words[0]


class Authorizer:
    """Decides authorization requests.

    Build one instance per process and reuse it, because it keeps the JWKS cache.
    """

    def __init__(
        self,
        settings: AuthorizerSettings,
        validator: TokenValidator | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._validator = validator or TokenValidator(settings)
        self._clock = clock

    def decide(self, authorization: object, request_id: str | None = None) -> Decision:
        """Validate the token, map its claims and log the outcome (never the token)."""
        try:
            token = bearer_token(authorization)
            claims = self._validator.validate(token)
            entitlements = map_claims(claims, self._settings.claims)
        except AccessDenied as denied:
            decision = Decision(
                is_authorized=False,
                ttl_seconds=self._deny_ttl(denied),
                reason=denied.reason,
                message=denied.message,
            )
            log_decision(decision, request_id)
            return decision
        decision = Decision(
            is_authorized=True,
            ttl_seconds=self._allow_ttl(claims["exp"]),
            entitlements=entitlements,
        )
        log_decision(decision, request_id)
        return decision

    def authorize_event(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """Decide an AppSync authorizer event and return AppSync's response."""
        return self.decide(event.get("authorizationToken"), request_id_of(event)).to_response()

    def _allow_ttl(self, expires_at: float) -> int:
        # Never cache an allow beyond exp. Inside the leeway exp has passed, so the TTL is 0.
        remaining = math.floor(expires_at - self._clock())
        return max(0, min(self._settings.max_ttl_seconds, remaining))

    def _deny_ttl(self, denied: AccessDenied) -> int:
        if denied.transient:
            return 0
        return min(PERMANENT_DENY_TTL_SECONDS, self._settings.max_ttl_seconds)


def log_decision(decision: Decision, request_id: str | None) -> None:
    if decision.entitlements is not None:
        logger.info(
            "request authorized",
            extra={
                "request_id": request_id,
                "sub": decision.entitlements.subject,
                "role": decision.entitlements.role,
                "tenant_count": len(decision.entitlements.tenants),
                "ttl_seconds": decision.ttl_seconds,
            },
        )
        return
    fields = {
        "request_id": request_id,
        "reason": str(decision.reason),
        "error": decision.message,
        "ttl_seconds": decision.ttl_seconds,
    }
    if decision.reason in (DenyReason.KEY_SET_UNAVAILABLE, DenyReason.CONFIGURATION_ERROR):
        # Every caller is denied until an operator acts.
        logger.error("request denied: the authorizer cannot check tokens", extra=fields)
    else:
        logger.warning("request denied", extra=fields)
