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
from ariadne.utils import convert_camel_case_to_snake

from graphql_api.caller import Caller
from graphql_api.context import RequestContext
from graphql_api.cursor import Position, decode_cursor, encode_cursor
from graphql_api.errors import ApiError, ErrorType
from graphql_api.filters import check_text, parse_filter
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


def _node_columns(paths: frozenset[str], denied: frozenset[str]) -> tuple[str, ...]:
    return columns_for(path for path in paths if path.split("/", 1)[0] not in denied)


def _denied_selected(paths: frozenset[str], denied: frozenset[str]) -> frozenset[str]:
    """Return the selected AuditEvent fields the caller may not read; they come back null."""
    return frozenset(path for path in paths if path in denied)


def _node(columns: tuple[str, ...], row: list[Any], nulled: frozenset[str]) -> dict[str, Any]:
    node = node_from_row(columns, row)
    for field_name in nulled:
        node[convert_camel_case_to_snake(field_name)] = None
    return node


@query.field("auditEvents")
def resolve_audit_events(
    _: Any, info: Any, filter: dict[str, Any], first: int = 50, after: str | None = None
) -> dict[str, Any]:
    context: RequestContext = info.context
    arguments = {"filter": filter, "first": first, "after": after}
    with context.read(
        filter.get("tenant_id"), "auditEvents", arguments, ErrorType.BAD_FILTER
    ) as caller:
        return _page(context, info, caller, filter, first, after)


def _page(
    context: RequestContext,
    info: Any,
    caller: Caller,
    filter: dict[str, Any],
    first: int,
    after: str | None,
) -> dict[str, Any]:
    event_filter = parse_filter(filter, context.settings.max_window)
    maximum = context.settings.max_page_size
    if first is None or not 1 <= first <= maximum:
        received = "null" if first is None else str(first)
        raise ApiError(
            ErrorType.BAD_REQUEST, f"first must be between 1 and {maximum}, not {received}"
        )
    # A cursor is bound to the filter and to what the caller's role may see.
    binding = f"{event_filter.fingerprint()}/{','.join(caller.hidden_actions)}"
    position = None if after is None else decode_cursor(after, binding, context.cursor_key)

    node_paths = below(selection_paths(info), "edges/node")
    columns = _node_columns(node_paths, caller.denied_fields)
    nulled = _denied_selected(node_paths, caller.denied_fields)
    statement = page_statement(event_filter, position, first + 1, columns, caller.hidden_actions)
    rows = context.database.fetch(event_filter.tenant_id, statement.sql, **statement.params)
    edges = [
        {
            "cursor": encode_cursor(Position(row[0], row[1]), binding, context.cursor_key),
            "node": _node(columns, row, nulled),
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
    arguments = {"tenant_id": tenant_id, "event_id": event_id, "occurred_at": occurred_at}
    with context.read(tenant_id, "auditEvent", arguments) as caller:
        check_text("eventId", event_id)
        paths = selection_paths(info)
        columns = _node_columns(paths, caller.denied_fields)
        statement = event_statement(
            tenant_id, event_id, occurred_at, columns, caller.hidden_actions
        )
        rows = context.database.fetch(tenant_id, statement.sql, **statement.params)
        if not rows:
            return None
        return _node(columns, rows[0], _denied_selected(paths, caller.denied_fields))


@query.field("auditEventCounts")
def resolve_audit_event_counts(
    _: Any, info: Any, filter: dict[str, Any], group_by: str
) -> list[dict[str, Any]]:
    context: RequestContext = info.context
    arguments = {"filter": filter, "group_by": group_by}
    with context.read(
        filter.get("tenant_id"), "auditEventCounts", arguments, ErrorType.BAD_FILTER
    ) as caller:
        event_filter = parse_filter(filter, context.settings.max_window)
        statement = count_statement(
            event_filter, group_by, context.settings.max_count_groups, caller.hidden_actions
        )
        rows = context.database.fetch(event_filter.tenant_id, statement.sql, **statement.params)
        return [{"key": key, "count": count} for key, count in rows]
