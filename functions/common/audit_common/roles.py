"""What each caller role may read; shared by the JWT authorizer and the GraphQL API."""

from __future__ import annotations

# Lowest to highest: when a token grants several roles, the highest applies.
ROLES = ("viewer", "auditor", "admin")

# The action of the events that record reads of the log. Only auditors and
# admins see them: a viewer does not learn who else looked.
READ_AUDIT_ACTION = "audit_log.viewed"

# AuditEvent fields a role may not read, as AppSync's deniedFields names them
# ("Type.field"); the API also leaves them out itself.
DENIED_FIELDS = {
    "viewer": ("AuditEvent.original",),
    "auditor": (),
    "admin": (),
}


def sees_read_audit(role: str) -> bool:
    return role in ("auditor", "admin")
