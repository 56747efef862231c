"""Settings of the JWT authorizer, read once from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from audit_common.roles import ROLES as _SHARED_ROLES
from audit_common.settings import ConfigurationError, integer_setting

__all__ = [
    "ROLES",
    "SERVICE_NAME",
    "AuthorizerSettings",
    "ClaimMapping",
    "ConfigurationError",
    "load_settings",
]

SERVICE_NAME = "audit-authorizer"

# Lowest to highest: when a token grants several roles, the last one listed wins.
# The roles the GraphQL API understands, lowest to highest.
ROLES = _SHARED_ROLES

# Signature algorithms whose verification key is public, so it can come from a JWKS.
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
DEFAULT_ALGORITHMS = "RS256,ES256"
# AppSync caches an authorizer response for at most one hour.
APPSYNC_MAX_TTL_SECONDS = 3600
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class ClaimMapping:
    """Claim names and group prefixes that carry the caller's tenants and role.

    Tenants come from ``tenant_claim`` (a string, a comma-separated string or a list)
    and from groups named ``<tenant_group_prefix><tenant>`` in ``groups_claim``.
    Roles come from ``role_claim`` and from groups named ``<role_group_prefix><role>``.
    A None claim or prefix is not read.
    """

    tenant_claim: str | None
    tenant_group_prefix: str | None
    groups_claim: str
    role_claim: str | None
    role_group_prefix: str | None
    # Role of a token that names none. None denies such tokens.
    default_role: str | None


@dataclass(frozen=True)
class AuthorizerSettings:
    issuer: str
    # Accepted audiences: a token must list at least one of them in aud.
    audiences: tuple[str, ...]
    jwks_url: str
    # Allow-list passed to jwt.decode. The alg in a token's header never changes it.
    algorithms: tuple[str, ...]
    leeway_seconds: int
    # Minimum time between two key set fetches forced by an unknown kid.
    jwks_refresh_min_interval_seconds: int
    # How long a fetched key set is used before it is fetched again.
    jwks_cache_seconds: int
    # Timeout of each JWKS request. AppSync waits for the authorizer only so long.
    jwks_timeout_seconds: int
    max_ttl_seconds: int
    # Tokens that expire further ahead are denied: a leaked token stays useful only so long.
    max_lifetime_seconds: int
    claims: ClaimMapping


def _required(env: Mapping[str, str], name: str, example: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigurationError(f"{name} is missing; set it to {example}")
    return value


def _comma_list(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


def _algorithms(env: Mapping[str, str]) -> tuple[str, ...]:
    raw = env.get("JWT_ALGORITHMS") or DEFAULT_ALGORITHMS
    algorithms = list(dict.fromkeys(_comma_list(raw)))
    if not algorithms:
        raise ConfigurationError(f"JWT_ALGORITHMS={raw!r} names no algorithm; use RS256,ES256")
    for algorithm in algorithms:
        if algorithm.lower() == "none":
            raise ConfigurationError(
                "JWT_ALGORITHMS must not contain 'none': it accepts unsigned tokens"
            )
        if algorithm.upper().startswith("HS"):
            raise ConfigurationError(
                f"JWT_ALGORITHMS must not contain {algorithm}: HMAC algorithms need a shared "
                "secret, but the authorizer takes its keys from a public JWKS; "
                "use RS256 or ES256"
            )
        if algorithm not in ASYMMETRIC_ALGORITHMS:
            raise ConfigurationError(
                f"JWT_ALGORITHMS contains the unsupported algorithm {algorithm!r}; "
                f"use names from: {', '.join(sorted(ASYMMETRIC_ALGORITHMS))}"
            )
    return tuple(algorithms)


def _jwks_url(env: Mapping[str, str], issuer: str) -> str:
    url = env.get("JWKS_URL", "").strip()
    if not url:
        # Cognito and Auth0 publish their keys at this path below the issuer. Okta
        # publishes them at <issuer>/v1/keys, so Okta needs JWKS_URL.
        url = issuer.rstrip("/") + "/.well-known/jwks.json"
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        # Plain HTTP only for a development key server on this machine.
        return url
    raise ConfigurationError(
        f"JWKS_URL={url!r} is not an https URL (http is accepted only for 127.0.0.1 and "
        "localhost); set JWKS_URL to the issuer's jwks_uri"
    )


def _optional_name(env: Mapping[str, str], name: str, default: str) -> str | None:
    """Read a claim name or prefix. An empty value turns that source off."""
    value = env.get(name, default).strip()
    return value or None


def _default_role(env: Mapping[str, str]) -> str | None:
    role = env.get("DEFAULT_ROLE", "viewer").strip()
    if not role:
        return None
    if role not in ROLES:
        raise ConfigurationError(f"DEFAULT_ROLE={role!r} is not one of {', '.join(ROLES)}")
    if role == "admin":
        raise ConfigurationError(
            "DEFAULT_ROLE=admin would make every user of the issuer a platform operator; "
            "grant admin through ROLE_CLAIM or ROLE_GROUP_PREFIX instead"
        )
    return role


def _claim_mapping(env: Mapping[str, str]) -> ClaimMapping:
    mapping = ClaimMapping(
        tenant_claim=_optional_name(env, "TENANT_CLAIM", "custom:tenant_id"),
        tenant_group_prefix=_optional_name(env, "TENANT_GROUP_PREFIX", ""),
        groups_claim=env.get("GROUPS_CLAIM", "").strip() or "cognito:groups",
        role_claim=_optional_name(env, "ROLE_CLAIM", "custom:role"),
        role_group_prefix=_optional_name(env, "ROLE_GROUP_PREFIX", ""),
        default_role=_default_role(env),
    )
    if mapping.tenant_claim is None and mapping.tenant_group_prefix is None:
        raise ConfigurationError(
            "no tenant source: TENANT_CLAIM is empty and TENANT_GROUP_PREFIX is not set; "
            "set one of them"
        )
    return mapping


def load_settings(env: Mapping[str, str] | None = None) -> AuthorizerSettings:
    """Read the authorizer's settings; raise ConfigurationError naming any bad variable."""
    env = os.environ if env is None else env
    issuer = _required(env, "JWT_ISSUER", "the iss value of your tokens")
    audiences = tuple(_comma_list(env.get("JWT_AUDIENCE", "")))
    if not audiences:
        raise ConfigurationError(
            "JWT_AUDIENCE is missing; set it to the aud value of your tokens "
            "(several values: comma-separated)"
        )
    max_ttl_seconds = integer_setting(env, "AUTH_MAX_TTL_SECONDS", 300, 0)
    if max_ttl_seconds > APPSYNC_MAX_TTL_SECONDS:
        raise ConfigurationError(
            f"AUTH_MAX_TTL_SECONDS={max_ttl_seconds} is above AppSync's maximum of "
            f"{APPSYNC_MAX_TTL_SECONDS}"
        )
    return AuthorizerSettings(
        issuer=issuer,
        audiences=audiences,
        jwks_url=_jwks_url(env, issuer),
        algorithms=_algorithms(env),
        leeway_seconds=integer_setting(env, "JWT_LEEWAY_SECONDS", 60, 0),
        jwks_refresh_min_interval_seconds=integer_setting(
            env, "JWKS_REFRESH_MIN_INTERVAL_SECONDS", 60, 1
        ),
        jwks_cache_seconds=integer_setting(env, "JWKS_CACHE_SECONDS", 300, 1),
        jwks_timeout_seconds=integer_setting(env, "JWKS_TIMEOUT_SECONDS", 3, 1),
        max_ttl_seconds=max_ttl_seconds,
        max_lifetime_seconds=integer_setting(env, "JWT_MAX_LIFETIME_SECONDS", 86_400, 60),
        claims=_claim_mapping(env),
    )
