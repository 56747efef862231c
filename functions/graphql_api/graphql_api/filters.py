"""Check a client's AuditEventFilter and turn it into the query's conditions."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from audit_common.times import format_utc
from graphql_api.errors import ApiError, ErrorType

_SURROGATE = re.compile("[\ud800-\udfff]")
MAX_LIST_ITEMS = 100
MAX_TEXT_LENGTH = 256


@dataclass(frozen=True)
class EventFilter:
    """A validated AuditEventFilter: one tenant, a window [start, end), optional lists."""

    tenant_id: str
    start: datetime
    end: datetime
    actions: tuple[str, ...] = ()
    action_prefix: str | None = None
    actor_ids: tuple[str, ...] = ()
    actor_types: tuple[str, ...] = ()
    target_types: tuple[str, ...] = ()
    target_ids: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    def fingerprint(self) -> str:
        """Identify this filter, so a cursor works only with the filter it came from."""
        values = asdict(self) | {"start": format_utc(self.start), "end": format_utc(self.end)}
        canonical = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def _bad(message: str) -> ApiError:
    return ApiError(ErrorType.BAD_FILTER, message)


def storable(text: str) -> str:
    """Return text with NUL characters and lone surrogates replaced by U+FFFD."""
    return _SURROGATE.sub("\ufffd", text.replace("\x00", "\ufffd"))


def check_text(name: str, value: Any, error_type: ErrorType = ErrorType.BAD_REQUEST) -> str:
    """Return value if it is a non-empty string PostgreSQL can compare, else raise error_type.

    Stored text never contains NUL characters or lone surrogates, so a value with
    one could match nothing; rejecting it names the problem instead of letting
    the database fail.
    """
    if not isinstance(value, str) or not value or len(value) > MAX_TEXT_LENGTH:
        raise ApiError(
            error_type, f"{name} must be a non-empty string of at most {MAX_TEXT_LENGTH} characters"
        )
    if "\x00" in value or _SURROGATE.search(value):
        raise ApiError(error_type, f"{name} contains a NUL character or a lone surrogate")
    return value


def _text(name: str, value: Any) -> str:
    return check_text(f"filter.{name}", value, ErrorType.BAD_FILTER)


def _texts(name: str, values: Sequence[Any] | None) -> tuple[str, ...]:
    if values is None:
        return ()
    if len(values) > MAX_LIST_ITEMS:
        raise _bad(f"filter.{name} has {len(values)} items; at most {MAX_LIST_ITEMS} are allowed")
    return tuple(sorted({_text(name, value) for value in values}))


def parse_filter(raw: Mapping[str, Any], max_window: timedelta) -> EventFilter:
    """Validate the filter argument (snake_case keys, enum values already converted).

    Raises BAD_FILTER with a message naming the field and the rule.
    """
    start, end = raw.get("from"), raw.get("to")
    if not isinstance(start, datetime) or not isinstance(end, datetime):
        raise _bad("filter.from and filter.to are required AWSDateTime values")
    if start >= end:
        raise _bad("filter.from must be earlier than filter.to")
    if end - start > max_window:
        raise _bad(
            "filter.from to filter.to spans more than the maximum window of "
            f"{_days(max_window)}; split the search into several windows"
        )
    action_prefix = raw.get("action_prefix")
    return EventFilter(
        tenant_id=_text("tenantId", raw.get("tenant_id")),
        start=start,
        end=end,
        actions=_texts("actions", raw.get("actions")),
        action_prefix=None if action_prefix is None else _text("actionPrefix", action_prefix),
        actor_ids=_texts("actorIds", raw.get("actor_ids")),
        actor_types=_texts("actorTypes", raw.get("actor_types")),
        target_types=_texts("targetTypes", raw.get("target_types")),
        target_ids=_texts("targetIds", raw.get("target_ids")),
        outcomes=_texts("outcomes", raw.get("outcomes")),
        sources=_texts("sources", raw.get("sources")),
    )


def _days(span: timedelta) -> str:
    days = span / timedelta(days=1)
    return f"{days:.4g} days"
