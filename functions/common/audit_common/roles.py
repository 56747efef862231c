"""What each caller role may read; shared by the JWT authorizer and the GraphQL API."""

from __future__ import annotations

# Lowest to highest: when a token grants several roles, the highest applies.
ROLES = ("viewer", "auditor", "admin")

# The action of the events that record reads of the log. Only auditors and
# admins see them: a viewer does not learn who else looked.
READ_AUDIT_ACTION = "audit_log.viewed"
# The only source whose events may carry READ_AUDIT_ACTION: the GraphQL API.
# The subscriber rejects the action from any other source, so that no
# service can forge a record of somebody's read.
READ_AUDIT_SOURCE = "audit-log.graphql-api"

# AuditEvent fields a role may not read, as AppSync's deniedFields names them
# ("Type.field"); the API also leaves them out itself.
DENIED_FIELDS = {
    "viewer": ("AuditEvent.original",),
    "auditor": (),
    "admin": (),
}


def sees_read_audit(role: str) -> bool:
    return role in ("auditor", "admin")
