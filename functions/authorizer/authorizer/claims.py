"""Map a validated token's claims to the caller's entitlements: subject, tenants and role.

Identity providers carry these in different claims, so ClaimMapping names them:
Cognito uses ``custom:`` attributes and ``cognito:groups``, Auth0 namespaced claims
such as ``https://audit.example.com/tenants`` or its ``permissions`` list, and Okta a
``groups`` list.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from audit_common.roles import DENIED_FIELDS, ROLES
from authorizer.errors import AccessDenied, DenyReason, quoted
from authorizer.settings import ClaimMapping

# The event contract limits tenant and actor ids to 256 characters, so a longer
# one matches nothing, and the caller's read events would be rejected.
MAX_IDENTIFIER_LENGTH = 256
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Entitlements:
    """The caller's entitlements: subject, tenants (sorted, unique) and role."""

    subject: str
    tenants: tuple[str, ...]
    role: str

    def resolver_context(self) -> dict[str, str]:
        """Return the resolverContext that graphql_api.caller reads. Every value is a string."""
        return {"sub": self.subject, "tenants": json.dumps(list(self.tenants)), "role": self.role}

    def denied_fields(self) -> list[str]:
        # AppSync sets these fields to null whatever the resolver returns.
        return list(DENIED_FIELDS[self.role])


def claim_values(claims: Mapping[str, Any], name: str) -> list[str]:
    """Read a claim that is absent, a string, a comma-separated string or a list of strings.

    List items are not split on commas. Blank items are dropped and the others stripped.
    Raise AccessDenied (invalid_claim) for any other JSON type.
    """
    value = claims.get(name)
    if value is None:
        return []
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        items = value
    else:
        raise AccessDenied(
            DenyReason.INVALID_CLAIM,
            f"claim {name!r} is a JSON {type(value).__name__}; expected a string, "
            "a comma-separated string or a list of strings",
        )
    return [item.strip() for item in items if item.strip()]


def _granted_by_groups(groups: list[str], prefix: str) -> list[str]:
    """Return the rest of each group name that starts with ``prefix``."""
    granted = []
    for group in groups:
        if group.startswith(prefix):
            rest = group[len(prefix) :].strip()
            if rest:
                granted.append(rest)
    return granted


def _role_claim(claims: Mapping[str, Any], name: str) -> list[str]:
    """Read a role claim: one role name, or a list of them, exactly as written.

    Unlike tenant claims, a role string is not split on commas and not
    trimmed: "viewer,admin" or " admin " is an unknown role, not admin.
    """
    value = claims.get(name)
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    raise AccessDenied(
        DenyReason.INVALID_CLAIM,
        f"claim {name!r} is a JSON {type(value).__name__}; expected a role name "
        "or a list of role names",
    )


def _role(claims: Mapping[str, Any], mapping: ClaimMapping, groups: list[str]) -> str:
    roles: list[str] = []
    if mapping.role_claim is not None:
        roles.extend(_role_claim(claims, mapping.role_claim))
    if mapping.role_group_prefix is not None:
        roles.extend(_granted_by_groups(groups, mapping.role_group_prefix))
    for role in roles:
        if role not in ROLES:
            raise AccessDenied(
                DenyReason.UNKNOWN_ROLE,
                f"the token grants the unknown role {quoted(role)}; expected one of "
                f"{', '.join(ROLES)} (role names are case-sensitive)",
            )
    if roles:
        return max(roles, key=ROLES.index)
    if mapping.default_role is None:
        raise AccessDenied(
            DenyReason.MISSING_ROLE,
            "the token grants no role and DEFAULT_ROLE is empty; "
            f"expected claim {mapping.role_claim!r} or a group starting with "
            f"{mapping.role_group_prefix!r}",
        )
    return mapping.default_role


def _tenants(claims: Mapping[str, Any], mapping: ClaimMapping, groups: list[str]) -> list[str]:
    tenants: list[str] = []
    if mapping.tenant_claim is not None:
        tenants.extend(claim_values(claims, mapping.tenant_claim))
    if mapping.tenant_group_prefix is not None:
        tenants.extend(_granted_by_groups(groups, mapping.tenant_group_prefix))
    for tenant in tenants:
        _check_identifier("tenant id", tenant)
    return tenants


def _check_identifier(what: str, value: str) -> None:
    """Deny identifiers the audit log cannot store: too long, NUL or a lone surrogate."""
    if len(value) > MAX_IDENTIFIER_LENGTH:
        raise AccessDenied(
            DenyReason.INVALID_CLAIM,
            f"the token names a {what} of {len(value)} characters, longer than the "
            f"maximum of {MAX_IDENTIFIER_LENGTH}: {quoted(value)}",
        )
    if "\x00" in value or _SURROGATE.search(value):
        raise AccessDenied(
            DenyReason.INVALID_CLAIM,
            f"the token's {what} contains a NUL character or a lone surrogate",
        )


def _tenant_sources(mapping: ClaimMapping) -> str:
    sources = []
    if mapping.tenant_claim is not None:
        sources.append(f"claim {mapping.tenant_claim!r}")
    if mapping.tenant_group_prefix is not None:
        sources.append(
            f"a group starting with {mapping.tenant_group_prefix!r} in {mapping.groups_claim!r}"
        )
    return " or ".join(sources)


def map_claims(claims: Mapping[str, Any], mapping: ClaimMapping) -> Entitlements:
    """Map validated claims to Entitlements, or raise AccessDenied when they grant no access.

    When several roles apply, the highest wins (admin > auditor > viewer). A token
    without a tenant is denied unless its role is admin, because an admin names
    tenants explicitly in each query.
    """
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject.strip():
        raise AccessDenied(DenyReason.MISSING_CLAIM, "the token has no sub (subject) claim")
    # The subject becomes the actor of the caller's read events, which must be storable.
    _check_identifier("subject", subject)
    groups: list[str] = []
    if mapping.tenant_group_prefix is not None or mapping.role_group_prefix is not None:
        groups = claim_values(claims, mapping.groups_claim)
    role = _role(claims, mapping, groups)
    tenants = _tenants(claims, mapping, groups)
    if not tenants and role != "admin":
        raise AccessDenied(
            DenyReason.MISSING_TENANT,
            f"the token names no tenant for role {role}; expected {_tenant_sources(mapping)}",
        )
    return Entitlements(subject=subject, tenants=tuple(sorted(set(tenants))), role=role)
