"""The Query resolvers, bound to the schema with Ariadne.

Both transports call these same functions: Ariadne's executor for the
local server, and graphql_api.appsync for AppSync's direct Lambda
resolvers. Each resolver checks the caller's tenant before touching the
database and reads only the selected columns.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ariadne import EnumType, QueryType

from graphql_api.context import RequestContext
from graphql_api.cursor import Position, decode_cursor, encode_cursor
from graphql_api.errors import ApiError, ErrorType
from graphql_api.filters import parse_filter
from graphql_api.queries import (
    columns_for,
    count_statement,
    event_statement,
    node_from_row,
    page_statement,
)
from graphql_api.selection import below, selection_paths

query = QueryType()
outcome = EnumType("Outcome", {"SUCCESS": "success", "FAILURE": "failure", "DENIED": "denied"})
actor_type = EnumType("ActorType", {"USER": "user", "SERVICE": "service", "SYSTEM": "system"})
event_group = EnumType(
    "AuditEventGroup",
    {
        "ACTION": "action",
        "ACTOR": "actor",
        "TARGET_TYPE": "target_type",
        "OUTCOME": "outcome",
        "DAY": "day",
    },
)
BINDABLES = (query, outcome, actor_type, event_group)


@query.field("auditEvents")
def resolve_audit_events(
    _: Any, info: Any, filter: dict[str, Any], first: int = 50, after: str | None = None
) -> dict[str, Any]:
    context: RequestContext = info.context
    event_filter = parse_filter(filter, context.settings.max_window)
    context.authorize(event_filter.tenant_id)
    maximum = context.settings.max_page_size
    if first is None or not 1 <= first <= maximum:
        raise ApiError(ErrorType.BAD_REQUEST, f"first must be between 1 and {maximum}, not {first}")
    fingerprint = event_filter.fingerprint()
    position = None if after is None else decode_cursor(after, fingerprint, context.cursor_key)

    columns = columns_for(below(selection_paths(info), "edges/node"))
    statement = page_statement(event_filter, position, first + 1, columns)
    rows = context.database.fetch(statement.sql, **statement.params)
    edges = [
        {
            "cursor": encode_cursor(Position(row[0], row[1]), fingerprint, context.cursor_key),
            "node": node_from_row(columns, row),
        }
        for row in rows[:first]
    ]
    return {
        "edges": edges,
        "page_info": {
            "has_next_page": len(rows) > first,
            "end_cursor": edges[-1]["cursor"] if edges else None,
        },
    }


@query.field("auditEvent")
def resolve_audit_event(
    _: Any, info: Any, tenant_id: str, event_id: str, occurred_at: datetime
) -> dict[str, Any] | None:
    context: RequestContext = info.context
    context.authorize(tenant_id)
    columns = columns_for(selection_paths(info))
    statement = event_statement(tenant_id, event_id, occurred_at, columns)
    rows = context.database.fetch(statement.sql, **statement.params)
    return node_from_row(columns, rows[0]) if rows else None


@query.field("auditEventCounts")
def resolve_audit_event_counts(
    _: Any, info: Any, filter: dict[str, Any], group_by: str
) -> list[dict[str, Any]]:
    context: RequestContext = info.context
    event_filter = parse_filter(filter, context.settings.max_window)
    context.authorize(event_filter.tenant_id)
    statement = count_statement(event_filter, group_by, context.settings.max_count_groups)
    rows = context.database.fetch(statement.sql, **statement.params)
    return [{"key": key, "count": count} for key, count in rows]
