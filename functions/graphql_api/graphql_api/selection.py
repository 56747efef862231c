"""Which fields a request selected, as AppSync's selectionSetList names them.

AppSync gives a direct Lambda resolver the selected fields as paths such as
["edges", "edges/node", "edges/node/actor", "edges/node/actor/id"]. The local
server computes the same list from graphql-core's resolve info, so resolvers
fetch only the requested columns whichever transport called them.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLResolveInfo,
    InlineFragmentNode,
    SelectionSetNode,
)


def selection_paths(info: Any) -> frozenset[str]:
    """Return the selected field paths below the resolved field."""
    listed = getattr(info, "selection_set_list", None)
    if listed is not None:
        return frozenset(listed)
    assert isinstance(info, GraphQLResolveInfo)
    paths: set[str] = set()
    for field_node in info.field_nodes:
        _collect(field_node.selection_set, "", info, paths)
    return frozenset(paths)


def _collect(
    selection_set: SelectionSetNode | None, prefix: str, info: GraphQLResolveInfo, paths: set[str]
) -> None:
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            # The field's name, not its alias: the columns depend on what is selected.
            path = f"{prefix}{selection.name.value}"
            paths.add(path)
            _collect(selection.selection_set, f"{path}/", info, paths)
        elif isinstance(selection, InlineFragmentNode):
            _collect(selection.selection_set, prefix, info, paths)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = info.fragments.get(selection.name.value)
            if fragment is not None:
                _collect(fragment.selection_set, prefix, info, paths)


def below(paths: frozenset[str], prefix: str) -> frozenset[str]:
    """Return the paths under prefix (e.g. "edges/node"), relative to it."""
    start = prefix + "/"
    return frozenset(path[len(start) :] for path in paths if path.startswith(start))
