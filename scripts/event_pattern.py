"""Match events against Amazon EventBridge event patterns, for the subset of the syntax we use.

A pattern is a JSON object with the same nesting as the events it matches. Each key
contains either a nested pattern (an object) or a non-empty array of matchers. The keys
of one object must all match (AND), and any one matcher in an array is enough (OR).

Supported matchers:

* exact values: a string, a number (``300`` equals ``300.0``), ``true``/``false`` or ``null``
* ``{"prefix": "aws."}``: a string value that starts with the prefix
* ``{"anything-but": V}``: any value except V, where V is a string, a number, a
  non-empty list of strings and numbers, or ``{"prefix": "..."}``
* ``{"exists": true}`` / ``{"exists": false}``: the field is present or absent, whatever its value

Array values in the event match when any element matches. An array of objects matches
a nested pattern when any single element matches all of it. Every other operator
(``suffix``, ``numeric``, ``cidr``, ``wildcard``, ``equals-ignore-case``, ``$or``, ...)
raises :class:`UnsupportedPatternError`, so a pattern is never half-evaluated.

As in EventBridge, matchers apply to leaf values only: a field that holds an object is
treated as absent by a matcher array, so ``{"exists": true}`` does not match it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

PATTERNS_FILE = Path(__file__).resolve().parent.parent / "terraform" / "event-patterns.json"

_MISSING = object()
_SUPPORTED_OPERATORS = ("prefix", "anything-but", "exists")


class PatternError(ValueError):
    """An event pattern that is not valid EventBridge syntax."""


class UnsupportedPatternError(PatternError):
    """A valid EventBridge operator that this matcher does not implement."""


class EventPattern:
    """A validated event pattern. Call ``matches(event)`` to test one event against it."""

    def __init__(self, pattern: Mapping[str, Any]) -> None:
        _validate_object(pattern, path="")
        self.pattern = pattern

    def matches(self, event: Mapping[str, Any]) -> bool:
        """Return True when the event (a parsed JSON object) matches the pattern."""
        return _match_object(self.pattern, event)

    def __repr__(self) -> str:
        return f"EventPattern({json.dumps(self.pattern)})"


def matches(pattern: Mapping[str, Any] | EventPattern, event: Mapping[str, Any]) -> bool:
    """Validate the pattern, then return True when the event matches it."""
    compiled = pattern if isinstance(pattern, EventPattern) else EventPattern(pattern)
    return compiled.matches(event)


def load_patterns(path: str | Path = PATTERNS_FILE) -> dict[str, EventPattern]:
    """Read a JSON file of named patterns (the Terraform rule file) and validate each one."""
    with open(path, encoding="utf-8") as file:
        named = json.load(file)
    if not isinstance(named, dict):
        raise PatternError(f"{path}: expected a JSON object of named patterns, got {named!r}")
    patterns = {}
    for name, pattern in named.items():
        try:
            patterns[name] = EventPattern(pattern)
        except PatternError as error:
            raise type(error)(f"{path}: pattern {name!r}: {error}") from error
    return patterns


# -- validation ---------------------------------------------------------------------


def _validate_object(pattern: Any, path: str) -> None:
    if not isinstance(pattern, Mapping):
        where = path or "the pattern"
        raise PatternError(f"{where} must be a JSON object, got {pattern!r}")
    for key, value in pattern.items():
        field = f"{path}.{key}" if path else key
        if key.startswith("$"):
            raise UnsupportedPatternError(
                f"operator {key!r} at {path or 'the top level'} is not supported. "
                f"Supported operators: {', '.join(_SUPPORTED_OPERATORS)}"
            )
        if isinstance(value, Mapping):
            _validate_object(value, field)
        elif isinstance(value, list):
            if not value:
                raise PatternError(f"{field}: an array of matchers must not be empty")
            for matcher in value:
                _validate_matcher(matcher, field)
        else:
            raise PatternError(f"{field} must be an object or an array of matchers, got {value!r}")


def _validate_matcher(matcher: Any, field: str) -> None:
    if _is_scalar(matcher):
        return
    if not isinstance(matcher, Mapping):
        raise PatternError(f"{field}: a matcher must be a value or an object, got {matcher!r}")
    if len(matcher) != 1:
        raise PatternError(
            f"{field}: a matcher object must have exactly one operator, got {matcher!r}"
        )
    ((operator, operand),) = matcher.items()
    if operator == "prefix":
        _require_string(operand, field, "prefix")
    elif operator == "exists":
        if not isinstance(operand, bool):
            raise PatternError(f"{field}: exists takes true or false, got {operand!r}")
    elif operator == "anything-but":
        _validate_anything_but(operand, field)
    else:
        raise UnsupportedPatternError(
            f"{field}: operator {operator!r} is not supported. "
            f"Supported operators: {', '.join(_SUPPORTED_OPERATORS)}"
        )


def _validate_anything_but(operand: Any, field: str) -> None:
    if isinstance(operand, Mapping):
        if set(operand) != {"prefix"}:
            raise UnsupportedPatternError(
                f"{field}: anything-but supports only {{'prefix': ...}} as an object, "
                f"got {operand!r}"
            )
        _require_string(operand["prefix"], field, "anything-but prefix")
        return
    values = operand if isinstance(operand, list) else [operand]
    if not values:
        raise PatternError(f"{field}: anything-but must not be an empty list")
    for value in values:
        if not isinstance(value, str) and not _is_number(value):
            raise PatternError(f"{field}: anything-but takes strings and numbers, got {value!r}")


def _require_string(operand: Any, field: str, operator: str) -> None:
    if not isinstance(operand, str):
        raise UnsupportedPatternError(f"{field}: {operator} takes a string here, got {operand!r}")


# -- matching -----------------------------------------------------------------------


def _match_object(pattern: Mapping[str, Any], node: Any) -> bool:
    for key, sub_pattern in pattern.items():
        child = node.get(key, _MISSING) if isinstance(node, Mapping) else _MISSING
        if isinstance(sub_pattern, Mapping):
            matched = _match_nested(sub_pattern, child)
        else:
            matched = _match_leaf(sub_pattern, child)
        if not matched:
            return False
    return True


def _match_nested(pattern: Mapping[str, Any], child: Any) -> bool:
    if isinstance(child, Mapping):
        return _match_object(pattern, child)
    if isinstance(child, list):
        objects = [element for element in child if isinstance(element, Mapping)]
        if objects:
            return any(_match_object(pattern, element) for element in objects)
    # A missing field, a scalar or an array without objects has no fields below it,
    # so only {"exists": false} matchers further down can still match.
    return _match_object(pattern, _MISSING)


def _match_leaf(matchers: list[Any], child: Any) -> bool:
    values = list(_leaf_values(child))
    if not values:
        return any(matcher == {"exists": False} for matcher in matchers)
    return any(_match_value(matcher, value) for matcher in matchers for value in values)


def _leaf_values(child: Any) -> Iterator[Any]:
    """Yield the leaf values of an event field: the value itself or each array element."""
    if child is _MISSING or isinstance(child, Mapping):
        return
    if isinstance(child, list):
        for element in child:
            yield from _leaf_values(element)
        return
    yield child


def _match_value(matcher: Any, value: Any) -> bool:
    if not isinstance(matcher, Mapping):
        return _same_value(matcher, value)
    ((operator, operand),) = matcher.items()
    if operator == "exists":
        return operand is True
    if operator == "prefix":
        return isinstance(value, str) and value.startswith(operand)
    # anything-but, the only other operator that validation lets through
    if isinstance(operand, Mapping):
        # NOTE: a non-string value (number, bool, null) counts as "not starting with the
        # prefix" here. EventBridge's behaviour for non-strings was not checked.
        return not (isinstance(value, str) and value.startswith(operand["prefix"]))
    excluded = operand if isinstance(operand, list) else [operand]
    return not any(_same_value(item, value) for item in excluded)


def _same_value(expected: Any, actual: Any) -> bool:
    # JSON has one number type, but Python's bool is an int: keep true apart from 1.
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(expected, bool) and isinstance(actual, bool) and expected is actual
    if _is_number(expected) and _is_number(actual):
        return expected == actual
    return type(expected) is type(actual) and expected == actual


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)
