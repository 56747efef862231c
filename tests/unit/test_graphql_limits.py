"""Depth, alias and cost limits, checked by validation before anything runs."""

from __future__ import annotations

from graphql import parse, specified_rules, validate

from graphql_api.limits import MAX_ALIASES, MAX_COST, validation_rules
from graphql_api.schema import schema

NODE_FIELDS = """
  eventId occurredAt action outcome source detailType tenantId
  actor { type id name ip userAgent } target { type id name }
  changes { field old new } context metadata original ingestedAt
"""
FILTER = {"tenantId": "t", "from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"}


def pages(*aliases: str) -> str:
    """One operation that reads a page of every field under each alias, sized by $n."""
    fields = "".join(
        f"{alias}: auditEvents(filter: $f, first: $n) {{ edges {{ node {{ {NODE_FIELDS} }} }} }}\n"
        for alias in aliases
    )
    return f"query($f: AuditEventFilter!, $n: Int) {{\n{fields}}}"


def errors_for(query: str, variables: dict | None = None) -> list[str]:
    # Ariadne adds the API's rules to GraphQL's standard ones, as here.
    rules = [*specified_rules, *validation_rules(schema, variables)]
    return [error.message for error in validate(schema, parse(query), rules)]


def test_full_page_is_within_cost():
    assert errors_for(pages("a"), {"f": FILTER, "n": 500}) == []


def test_cost_counts_variables():
    query = pages("a", "b", "c")

    small = errors_for(query, {"f": FILTER, "n": 10})
    large = errors_for(query, {"f": FILTER, "n": 500})

    assert small == []
    assert any(f"over the maximum of {MAX_COST}" in message for message in large)


def test_default_page_size_is_costed():
    query = (
        "query($f: AuditEventFilter!) { auditEvents(filter: $f) { edges { node { eventId } } } }"
    )

    assert errors_for(query, {"f": FILTER}) == []


def test_depth_limit():
    query = "{ __schema { types { fields { type { ofType { ofType { ofType { ofType { name } } } } } } } } }"

    messages = errors_for(query)

    assert any("fields deep" in message for message in messages)


def test_alias_limit():
    fields = " ".join(f"x{n}: __typename" for n in range(MAX_ALIASES + 5))

    messages = errors_for("{ " + fields + " }")

    assert any(f"more than {MAX_ALIASES} aliases" in message for message in messages)


def test_aliases_within_limit():
    fields = " ".join(f"x{n}: __typename" for n in range(MAX_ALIASES))

    assert errors_for("{ " + fields + " }") == []


def test_cost_counts_variable_defaults():
    query = pages("a", "b").replace("$n: Int)", "$n: Int = 500)")

    messages = errors_for(query, {"f": FILTER})

    assert any(f"over the maximum of {MAX_COST}" in message for message in messages)


def test_cost_counts_literal_page_size():
    query = pages("a", "b").replace("first: $n", "first: 500")

    messages = errors_for(query, {"f": FILTER})

    assert any(f"over the maximum of {MAX_COST}" in message for message in messages)


def test_fragment_cycle_is_reported_plainly():
    query = "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }"

    messages = errors_for(query)

    assert any("Cannot spread fragment" in message for message in messages)
    assert "Validation aborted." not in messages


def test_invalid_argument_is_reported_once():
    query = (
        "query($f: AuditEventFilter!) { auditEvents(filter: $f, first: 1.5) { edges { cursor } } }"
    )

    messages = errors_for(query, {"f": FILTER})

    assert len(messages) == 1


def test_fragments_spread_twice_per_level():
    # Each fragment spreads the one before it twice, so the document names 2**40 fields
    # in 40 lines. The limits walk each fragment once; walking every spread would not end.
    levels = 40
    fragments = ["fragment F0 on AuditEvent { eventId }"] + [
        f"fragment F{level} on AuditEvent {{ ...F{level - 1} ...F{level - 1} }}"
        for level in range(1, levels + 1)
    ]
    query = (
        f"query($f: AuditEventFilter!) {{ auditEvents(filter: $f, first: 1) "
        f"{{ edges {{ node {{ ...F{levels} }} }} }} }}\n" + "\n".join(fragments)
    )

    messages = errors_for(query, {"f": FILTER})

    assert f"query costs {2**levels + 3}, over the maximum of {MAX_COST}" in messages[0]
