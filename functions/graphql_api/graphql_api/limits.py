"""Query limits: size, depth, aliases and cost, checked before anything runs.

AppSync enforces its own query depth and resolver count limits in front of
the Lambda; these rules give the local server the same protection and add
a cost check. The cost of an operation is the number of fields it can
return: every field costs 1, times the page size of each auditEvents
above it, and auditEventCounts costs MAX_COUNT_GROUPS. The page size is
the `first` argument as the request sets it: a literal, a variable's value,
the variable's default, or the schema's default (50), so `first: $n` costs
what $n will be at execution.
"""

from __future__ import annotations

from typing import Any

# Ariadne's wrapper takes variables as a dict on graphql-core 3.2 and 3.3 alike.
from ariadne.compat import get_argument_values
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    get_named_type,
    is_input_type,
    type_from_ast,
    value_from_ast,
)

from graphql_api.settings import COUNT_GROUPS_LIMIT

MAX_DEPTH = 8
MAX_ALIASES = 15
# One page of 500 events with every field costs about 16,000 (32 fields x 500).
MAX_COST = 25_000
# auditEventCounts returns at most this many groups, whatever MAX_COUNT_GROUPS is.
COUNT_GROUPS_COST = COUNT_GROUPS_LIMIT
# Parsing stops after this many tokens, long before a document gets expensive to validate.
MAX_TOKENS = 5_000


class DepthLimit(ValidationRule):
    """Reject operations nested deeper than MAX_DEPTH fields."""

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        # Each fragment's depth, computed once: a fragment spread twice in the one
        # before it, and so on, would otherwise be walked 2**n times.
        self.fragment_depths: dict[str, int] = {}

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
                # A cycle is reported by the standard NoFragmentCycles rule; stop here.
                if fragment is None or name in fragments_seen:
                    continue
                if name not in self.fragment_depths:
                    self.fragment_depths[name] = self._depth(
                        fragment.selection_set, fragments_seen | {name}
                    )
                deepest = max(deepest, self.fragment_depths[name])
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


def cost_limit(variables: dict[str, Any]) -> type[ValidationRule]:
    """Build a rule that rejects operations costing more than MAX_COST with these variables."""

    class CostLimit(ValidationRule):
        def __init__(self, context: Any) -> None:
            super().__init__(context)
            # The cost of each fragment on each type, per unit of multiplier. Cost is
            # linear in the multiplier, so one walk per fragment serves every spread.
            self.fragment_costs: dict[tuple[str, str], int] = {}

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            effective = _with_variable_defaults(self.context.schema, node, variables)
            parent = self.context.schema.query_type
            cost = self._cost(node.selection_set, parent, 1, effective, set())
            if cost > MAX_COST:
                self.report_error(
                    GraphQLError(
                        f"query costs {cost}, over the maximum of {MAX_COST}: "
                        "ask for fewer events per page or fewer fields",
                        [node],
                    )
                )

        def _cost(
            self,
            selection_set: SelectionSetNode | None,
            parent: Any,
            multiplier: int,
            effective: dict[str, Any],
            fragments_seen: set[str],
        ) -> int:
            if selection_set is None or not isinstance(parent, GraphQLObjectType):
                return 0
            total = 0
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    total += self._field_cost(
                        selection, parent, multiplier, effective, fragments_seen
                    )
                elif isinstance(selection, InlineFragmentNode):
                    total += self._cost(
                        selection.selection_set, parent, multiplier, effective, fragments_seen
                    )
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self.context.get_fragment(name)
                    if fragment is None or name in fragments_seen:
                        continue
                    key = (name, parent.name)
                    if key not in self.fragment_costs:
                        self.fragment_costs[key] = self._cost(
                            fragment.selection_set, parent, 1, effective, fragments_seen | {name}
                        )
                    total += multiplier * self.fragment_costs[key]
            return total

        def _field_cost(
            self,
            node: FieldNode,
            parent: GraphQLObjectType,
            multiplier: int,
            effective: dict[str, Any],
            fragments_seen: set[str],
        ) -> int:
            definition = parent.fields.get(node.name.value)
            if definition is None:
                return 0  # reported by the standard FieldsOnCorrectType rule
            own = multiplier
            if parent.name == "Query" and node.name.value == "auditEventCounts":
                own = multiplier * COUNT_GROUPS_COST
            child_multiplier = multiplier
            if parent.name == "Query" and node.name.value == "auditEvents":
                child_multiplier = multiplier * _page_size(definition, node, effective)
            child_type = get_named_type(definition.type)
            return own + self._cost(
                node.selection_set, child_type, child_multiplier, effective, fragments_seen
            )

    return CostLimit


def _page_size(definition: Any, node: FieldNode, variables: dict[str, Any]) -> int:
    try:
        arguments = get_argument_values(definition, node, variables)
    except (GraphQLError, TypeError, ValueError):
        return 1  # an invalid argument is reported by validation or execution
    first = arguments.get("first")
    return first if isinstance(first, int) and first > 0 else 1


def _with_variable_defaults(
    schema: GraphQLSchema, operation: OperationDefinitionNode, variables: dict[str, Any]
) -> dict[str, Any]:
    """Return the request's variables plus the operation's declared defaults for missing ones."""
    effective = dict(variables)
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name in effective or definition.default_value is None:
            continue
        variable_type = type_from_ast(schema, definition.type)
        # Validation has rejected variables of output types before this runs.
        if variable_type is not None and is_input_type(variable_type):
            effective[name] = value_from_ast(definition.default_value, variable_type)
    return effective


def validation_rules(schema: GraphQLSchema, variables: dict[str, Any] | None) -> list[type]:
    """Return the rules to run on top of GraphQL's standard validation, for these variables."""
    return [DepthLimit, AliasLimit, cost_limit(variables or {})]
