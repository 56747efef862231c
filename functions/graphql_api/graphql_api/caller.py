"""The caller's identity and entitlements: which tenants' events it may read."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from audit_common.roles import DENIED_FIELDS, READ_AUDIT_ACTION, ROLES, sees_read_audit
from graphql_api.errors import ApiError, ErrorType


@dataclass(frozen=True)
class Caller:
    """The caller's entitlements: subject, tenants, and role.

    viewer and auditor read only their tenants; admin is the platform's
    operator and may name any tenant.
    """

    subject: str
    tenants: frozenset[str]
    role: str

    @property
    def hidden_actions(self) -> tuple[str, ...]:
        """Actions whose events this caller may not see."""
        return () if sees_read_audit(self.role) else (READ_AUDIT_ACTION,)

    @property
    def denied_fields(self) -> frozenset[str]:
        """AuditEvent fields this caller reads as null, e.g. {"original"} for a viewer."""
        return frozenset(name.removeprefix("AuditEvent.") for name in DENIED_FIELDS[self.role])

    def require_tenant(self, tenant_id: str) -> None:
        """Raise FORBIDDEN unless the caller may read this tenant's events."""
        if self.role == "admin" or tenant_id in self.tenants:
            return
        shown = tenant_id if len(tenant_id) <= 64 else tenant_id[:61] + "..."
        raise ApiError(
            ErrorType.FORBIDDEN,
            f"you may not read tenant {shown!r}; ask for one of your tenants",
        )


def caller_from_claims(claims: Mapping[str, Any]) -> Caller:
    """Build a Caller from {"sub", "tenants", "role"}; tenants is a list or a JSON list.

    AppSync hands resolvers the Lambda authorizer's resolverContext, whose
    values must be strings, so there tenants is a JSON text.
    """
    subject = claims.get("sub")
    role = claims.get("role")
    tenants: Any = claims.get("tenants")
    if isinstance(tenants, str):
        try:
            tenants = json.loads(tenants)
        except json.JSONDecodeError:
            tenants = None
    if (
        not isinstance(subject, str)
        or not subject
        or role not in ROLES
        or not isinstance(tenants, list)
        or not all(isinstance(tenant, str) and tenant for tenant in tenants)
    ):
        raise ApiError(
            ErrorType.FORBIDDEN,
            "the caller's entitlements are missing or invalid: expected sub, "
            f"tenants (a list of tenant ids) and role (one of {', '.join(ROLES)})",
        )
    return Caller(subject=subject, tenants=frozenset(tenants), role=role)
