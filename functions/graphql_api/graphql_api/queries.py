"""SQL for the API's three queries, built from a validated filter with parameters only.

Every value reaches PostgreSQL as a parameter with an explicit cast (pg8000
infers parameter types, which goes wrong for optional values); the text of
the statement contains only column names chosen from fixed tables here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from graphql_api.cursor import Position
from graphql_api.filters import EventFilter
from graphql_api.scalars import RawJson

# GraphQL field path below an AuditEvent -> column of audit.events.
NODE_COLUMNS = {
    "tenantId": "tenant_id",
    "eventId": "event_id",
    "occurredAt": "occurred_at",
    "source": "source",
    "detailType": "detail_type",
    "action": "action",
    "outcome": "outcome",
    "actor/type": "actor_type",
    "actor/id": "actor_id",
    "actor/name": "actor_name",
    "actor/ip": "actor_ip",
    "actor/userAgent": "actor_user_agent",
    "target/type": "target_type",
    "target/id": "target_id",
    "target/name": "target_name",
    "changes": "changes",
    "context": "context",
    "metadata": "metadata",
    "original": "original",
    "ingestedAt": "ingested_at",
}
# Always read: the cursor needs the sort key.
KEY_COLUMNS = ("occurred_at", "event_id")
# Columns read whenever their object is selected, even for only __typename:
# actor is never null, and a null target_id means a null target.
OBJECT_COLUMNS = {"actor": ("actor_type", "actor_id"), "target": ("target_id",)}

# JSON columns travel as text, so numbers keep their exact jsonb value (RawJson).
# changes becomes a JSON array whose old and new values are JSON texts, which
# also distinguishes a JSON null (the text "null") from a missing value (null).
SELECT_EXPRESSIONS = {
    "original": "original::text AS original",
    "context": "context::text AS context",
    "metadata": "metadata::text AS metadata",
    "changes": (
        "(SELECT json_agg(json_build_object('field', change->>'field',"
        " 'old', (change->'old')::text, 'new', (change->'new')::text) ORDER BY position)"
        " FROM jsonb_array_elements(changes) WITH ORDINALITY AS element(change, position)"
        ")::text AS changes"
    ),
}

GROUP_KEYS = {
    "action": "action",
    "actor": "actor_id",
    "target_type": "target_type",
    # The Outcome enum's name (SUCCESS), so that a key can go back into a filter.
    "outcome": "upper(outcome)",
    "day": "to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
}


@dataclass(frozen=True)
class Statement:
    sql: str
    params: dict[str, Any]


def columns_for(node_paths: Iterable[str]) -> tuple[str, ...]:
    """Columns to read for the selected AuditEvent fields, key columns first."""
    columns = dict.fromkeys(KEY_COLUMNS)
    for path in node_paths:
        column = NODE_COLUMNS.get(path)
        if column:
            columns[column] = None
        columns.update(dict.fromkeys(OBJECT_COLUMNS.get(path, ())))
    return tuple(columns)


def _select_list(columns: tuple[str, ...]) -> str:
    return ", ".join(SELECT_EXPRESSIONS.get(column, column) for column in columns)


def _hidden(hidden_actions: tuple[str, ...]) -> tuple[list[str], dict[str, Any]]:
    names = [f"hidden_action_{index}" for index in range(len(hidden_actions))]
    conditions = [f"action <> CAST(:{name} AS text)" for name in names]
    return conditions, dict(zip(names, hidden_actions, strict=True))


def _where(
    event_filter: EventFilter, hidden_actions: tuple[str, ...]
) -> tuple[list[str], dict[str, Any]]:
    conditions = [
        "tenant_id = CAST(:tenant_id AS text)",
        "occurred_at >= CAST(:start AS timestamptz)",
        "occurred_at < CAST(:end AS timestamptz)",
    ]
    params: dict[str, Any] = {
        "tenant_id": event_filter.tenant_id,
        "start": event_filter.start,
        "end": event_filter.end,
    }
    lists = (
        ("action", event_filter.actions),
        ("actor_id", event_filter.actor_ids),
        ("actor_type", event_filter.actor_types),
        ("target_type", event_filter.target_types),
        ("target_id", event_filter.target_ids),
        ("outcome", event_filter.outcomes),
        ("source", event_filter.sources),
    )
    for column, values in lists:
        if not values:
            continue
        names = [f"{column}_{index}" for index in range(len(values))]
        placeholders = ", ".join(f"CAST(:{name} AS text)" for name in names)
        conditions.append(f"{column} IN ({placeholders})")
        params.update(zip(names, values, strict=True))
    if event_filter.action_prefix is not None:
        conditions.append("action LIKE CAST(:action_pattern AS text) ESCAPE '\\'")
        params["action_pattern"] = _like_prefix(event_filter.action_prefix)
    hidden_conditions, hidden_params = _hidden(hidden_actions)
    return conditions + hidden_conditions, params | hidden_params


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def page_statement(
    event_filter: EventFilter,
    after: Position | None,
    limit: int,
    columns: tuple[str, ...],
    hidden_actions: tuple[str, ...] = (),
) -> Statement:
    """Newest first; keyset on (occurred_at, event_id), so a deep page costs what the first does."""
    conditions, params = _where(event_filter, hidden_actions)
    if after is not None:
        conditions.append(
            "(occurred_at, event_id) < (CAST(:after_time AS timestamptz), CAST(:after_id AS text))"
        )
        params |= {"after_time": after.occurred_at, "after_id": after.event_id}
    params["limit"] = limit
    sql = (
        f"SELECT {_select_list(columns)} FROM audit.events WHERE {' AND '.join(conditions)} "
        "ORDER BY occurred_at DESC, event_id DESC LIMIT CAST(:limit AS integer)"
    )
    return Statement(sql, params)


def event_statement(
    tenant_id: str,
    event_id: str,
    occurred_at: Any,
    columns: tuple[str, ...],
    hidden_actions: tuple[str, ...] = (),
) -> Statement:
    hidden_conditions, hidden_params = _hidden(hidden_actions)
    conditions = [
        "tenant_id = CAST(:tenant_id AS text)",
        "event_id = CAST(:event_id AS text)",
        "occurred_at = CAST(:occurred_at AS timestamptz)",
        *hidden_conditions,
    ]
    return Statement(
        f"SELECT {_select_list(columns)} FROM audit.events WHERE {' AND '.join(conditions)}",
        {"tenant_id": tenant_id, "event_id": event_id, "occurred_at": occurred_at} | hidden_params,
    )


def count_statement(
    event_filter: EventFilter, group: str, max_groups: int, hidden_actions: tuple[str, ...] = ()
) -> Statement:
    """Count per group; days in date order, other groups largest first."""
    key = GROUP_KEYS[group]
    conditions, params = _where(event_filter, hidden_actions)
    order = "key" if group == "day" else "count(*) DESC, key"
    params["max_groups"] = max_groups
    return Statement(
        f"SELECT {key} AS key, count(*) FROM audit.events WHERE {' AND '.join(conditions)} "
        f"GROUP BY 1 ORDER BY {order} LIMIT CAST(:max_groups AS integer)",
        params,
    )


def node_from_row(columns: tuple[str, ...], row: list[Any]) -> dict[str, Any]:
    """Shape a row as an AuditEvent whose keys are the snake_case names Ariadne resolves."""
    values = dict(zip(columns, row, strict=True))
    for column in ("original", "context", "metadata"):
        if values.get(column) is not None:
            values[column] = RawJson(values[column])
    if values.get("changes") is not None:
        values["changes"] = [
            {
                "field": change["field"],
                "old": None if change["old"] is None else RawJson(change["old"]),
                "new": None if change["new"] is None else RawJson(change["new"]),
            }
            for change in json.loads(values["changes"])
        ]
    node: dict[str, Any] = {}
    actor: dict[str, Any] = {}
    target: dict[str, Any] = {}
    for column, value in values.items():
        if column.startswith("actor_"):
            actor[column.removeprefix("actor_")] = value
        elif column.startswith("target_"):
            target[column.removeprefix("target_")] = value
        else:
            node[column] = value
    if actor:
        node["actor"] = actor
    if target:
        node["target"] = target if target.get("id") is not None else None
    return node
