"""Run GraphQL operations against the API in-process, as the local server does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ariadne import graphql_sync

from graphql_api import context
from graphql_api.caller import Caller
from graphql_api.limits import validation_rules
from graphql_api.schema import schema
from graphql_api.server import format_error

NOW = datetime.now(UTC).replace(microsecond=0)

EVENTS_QUERY = """
query Events($filter: AuditEventFilter!, $first: Int, $after: String) {
  auditEvents(filter: $filter, first: $first, after: $after) {
    edges { cursor node { eventId occurredAt action } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def caller(*tenants: str, role: str = "viewer") -> Caller:
    return Caller(subject="user-test", tenants=frozenset(tenants or ("acme",)), role=role)


def window(
    tenant_id: str = "acme", days: int = 30, end: datetime | None = None, **more: Any
) -> dict[str, Any]:
    """A filter variable for the last `days` days (ending at `end` or an hour from now)."""
    end = end or NOW + timedelta(hours=1)
    return {
        "tenantId": tenant_id,
        "from": (end - timedelta(days=days)).isoformat(),
        "to": end.isoformat(),
        **more,
    }


def execute(
    query: str, variables: dict[str, Any] | None = None, as_caller: Caller | None = None
) -> dict[str, Any]:
    """Execute with the server's validation rules and error format; return the response."""
    _, result = graphql_sync(
        schema,
        {"query": query, "variables": variables or {}},
        context_value=context.request_context(as_caller or caller()),
        validation_rules=validation_rules(schema, variables),
        error_formatter=format_error,
        introspection=False,
    )
    return result


def error_types(result: dict[str, Any]) -> list[str]:
    return [error["errorType"] for error in result.get("errors", [])]
