"""Query limits: depth, aliases and cost, checked before anything runs.

AppSync enforces its own query depth and resolver count limits in front of
the Lambda; these rules give the local server the same protection and
add a cost check that takes variables into account, so `first: $n` costs
what $n says.
"""

from __future__ import annotations

from typing import Any

from ariadne.validation import cost_validator
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
)

MAX_DEPTH = 8
MAX_ALIASES = 15
# A full page of 500 events with every field costs about 12,000.
MAX_COST = 25_000


class DepthLimit(ValidationRule):
    """Reject operations nested deeper than MAX_DEPTH fields."""

    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        depth = self._depth(node.selection_set, set())
        if depth > MAX_DEPTH:
            self.report_error(
                GraphQLError(f"query is {depth} fields deep; the maximum is {MAX_DEPTH}", [node])
            )

    def _depth(self, selection_set: SelectionSetNode | None, fragments_seen: set[str]) -> int:
        if selection_set is None:
            return 0
        deepest = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                deepest = max(deepest, 1 + self._depth(selection.selection_set, fragments_seen))
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(deepest, self._depth(selection.selection_set, fragments_seen))
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.context.get_fragment(name)
                # A fragment cycle is reported by the standard NoFragmentCycles rule.
                if fragment is not None and name not in fragments_seen:
                    nested = self._depth(fragment.selection_set, fragments_seen | {name})
                    deepest = max(deepest, nested)
        return deepest


class AliasLimit(ValidationRule):
    """Reject documents with more than MAX_ALIASES aliased fields."""

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.aliases = 0

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        if node.alias is not None:
            self.aliases += 1
            if self.aliases == MAX_ALIASES + 1:
                self.report_error(
                    GraphQLError(f"query uses more than {MAX_ALIASES} aliases", [node])
                )


def cost_map(schema: GraphQLSchema) -> dict[str, dict[str, Any]]:
    """Every output field costs 1, multiplied by the page size of the connection above it."""
    costs: dict[str, dict[str, Any]] = {}
    for type_name in (
        "AuditEventConnection",
        "AuditEventEdge",
        "PageInfo",
        "AuditEvent",
        "Actor",
        "Target",
        "Change",
        "AuditEventCount",
    ):
        costs[type_name] = {name: {"complexity": 1} for name in schema.type_map[type_name].fields}
    costs["Query"] = {
        "auditEvents": {"complexity": 1, "multipliers": ["first"]},
        "auditEvent": {"complexity": 1},
        # Up to MAX_COUNT_GROUPS groups, each an aggregate over the window.
        "auditEventCounts": {"complexity": 1000},
    }
    return costs


def validation_rules(schema: GraphQLSchema, variables: dict[str, Any] | None) -> list[type]:
    """The rules to run on top of GraphQL's standard validation, for these variables."""
    return [
        DepthLimit,
        AliasLimit,
        cost_validator(MAX_COST, variables=variables or {}, cost_map=cost_map(schema)),
    ]
