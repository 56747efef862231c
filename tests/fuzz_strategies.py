"""Hypothesis strategies for SQS message bodies that stress the subscriber.

A generated message is a ``Message``: the body as SQS delivers it and, for an event
that should parse, the instant its occurredAt (or envelope time) names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st
from samples import application_envelope, valid_detail

# Characters that have broken JSON or text handling elsewhere: right-to-left marks
# and overrides, combining marks, a byte order mark, line and paragraph separators
# (valid in JSON, not in JavaScript source), a non-character and an astral emoji.
STORABLE_EDGE_CHARACTERS = [
    "\u200f",
    "\u202e",
    "\u2066",
    "e\u0301",
    "\u0301",
    "\ufeff",
    "\u2028",
    "\u2029",
    "\uffff",
    "\U0001f600",
    "\\",
    '"',
    "\t",
    "\n",
    "\r",
]
# NUL (jsonb and text reject it) and lone surrogates (not encodable as UTF-8).
UNSTORABLE_CHARACTERS = ["\x00", "\ud800", "\udbff", "\udc00", "\udfff"]

storable_text = st.lists(
    st.one_of(
        st.characters(exclude_categories=("Cs",), exclude_characters="\x00"),
        st.sampled_from(STORABLE_EDGE_CHARACTERS),
    ),
    min_size=1,
    max_size=20,
).map("".join)
# Any code point, surrogates and NUL included.
unstorable_text = st.lists(
    st.one_of(st.characters(exclude_categories=()), st.sampled_from(UNSTORABLE_CHARACTERS)),
    min_size=1,
    max_size=20,
).map("".join)
# Near and over the 1 MiB body limit, and over every field's maxLength.
long_text = st.sampled_from([1_000, 70_000, 1_100_000]).map(lambda size: "x" * size)
any_text = st.one_of(storable_text, unstorable_text, long_text)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    storable_text,
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(storable_text, children, max_size=4)
    ),
    max_leaves=12,
)

# Zones with daylight-saving changes, odd offsets (+05:45, +13:45, half hours) and
# offsets with a seconds part in the distant past (local mean time).
ZONES = [
    UTC,
    ZoneInfo("America/New_York"),
    ZoneInfo("Europe/London"),
    ZoneInfo("Europe/Amsterdam"),
    ZoneInfo("Australia/Lord_Howe"),
    ZoneInfo("Asia/Kathmandu"),
    ZoneInfo("Pacific/Chatham"),
    ZoneInfo("Pacific/Kiritimati"),
    timezone(timedelta(hours=-12)),
    timezone(timedelta(hours=14)),
    timezone(timedelta(hours=23, minutes=59)),
    timezone(timedelta(hours=-23, minutes=-59)),
]

# Instants where bugs live: partition edges (the first microsecond of a month in
# UTC and the one before), leap days, daylight-saving changes in New York and
# London, and the ends of the year range.
EDGE_INSTANTS = [
    datetime(2026, 12, 1, tzinfo=UTC),
    datetime(2026, 11, 30, 23, 59, 59, 999_999, tzinfo=UTC),
    datetime(2027, 1, 1, tzinfo=UTC),
    datetime(2028, 2, 29, 12, tzinfo=UTC),
    datetime(2024, 2, 29, 23, 59, 59, 999_999, tzinfo=UTC),
    datetime(2026, 3, 8, 7, 0, tzinfo=UTC),
    datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
    datetime(2026, 10, 25, 1, 0, tzinfo=UTC),
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
]


@dataclass(frozen=True)
class Timestamp:
    """An RFC 3339 text and the instant it names, or None when it names none in years 1 to 9999."""

    text: str
    instant: datetime | None


def _render(local: datetime, extra_digits: str) -> Timestamp:
    text = local.isoformat(timespec="microseconds")
    if extra_digits:
        # Digits past the microsecond are cut, not rounded.
        date_and_time, offset = text[:26], text[26:]
        text = date_and_time + extra_digits + offset
    return Timestamp(text, local.astimezone(UTC))


@st.composite
def timestamps(draw: st.DrawFn) -> Timestamp:
    """Draw an RFC 3339 time with an offset, biased to partition, calendar and zone edges."""
    zone = draw(st.sampled_from(ZONES))
    extra_digits = draw(st.sampled_from(["", "", "", "9", "999"]))
    if draw(st.booleans()):
        instant = draw(st.sampled_from(EDGE_INSTANTS))
        step = draw(st.sampled_from([timedelta(0), timedelta(microseconds=-1)]))
        try:
            return _render((instant + step).astimezone(zone), extra_digits)
        except OverflowError:
            # Year 1 minus a microsecond, or a local time outside years 1 to 9999.
            return _render(instant, extra_digits)
    # Times near the extremes have no UTC instant inside years 1 to 9999 at some offsets.
    # Before about 1900 most zones had local mean time, an offset in seconds that the
    # event contract rejects, so the recent range gets half the draws.
    naive = draw(
        st.one_of(
            st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1)),
            st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
        )
    )
    local = naive.replace(tzinfo=zone, fold=draw(st.sampled_from([0, 1])))
    try:
        return _render(local, extra_digits)
    except OverflowError:
        return Timestamp(local.isoformat(timespec="microseconds") + extra_digits, None)


@dataclass(frozen=True)
class Message:
    """One SQS body, and the event time it must be stored with if it is stored.

    ``instant`` is None when the body carries no usable occurredAt.
    """

    body: str
    instant: datetime | None


MUTATIONS = ["none", "none", "none", "wrong type", "missing", "extra", "odd text", "deep", "raw"]


def _nested(depth: int) -> Any:
    value: Any = "bottom"
    for level in range(depth):
        value = {"level": value} if level % 2 else [value]
    return value


@st.composite
def messages(draw: st.DrawFn, number: int) -> Message:
    """Draw a message body: a valid event with edge-case text and times, then maybe broken.

    ``number`` makes the event id and envelope id unique within a batch, so each record
    can be traced to its row.
    """
    stamp = draw(timestamps())
    detail = valid_detail(
        eventId=f"fuzz-{number}",
        occurredAt=stamp.text,
        tenantId="acme-corp" + draw(st.sampled_from(["", "-2", ".eu"])),
        action=draw(st.sampled_from(["user.created", "a.b.c", "billing.invoice.paid"])),
    )
    detail["actor"]["name"] = draw(storable_text)
    detail["target"]["name"] = draw(storable_text)
    detail["metadata"] = {draw(storable_text): draw(json_values)}
    detail["context"] = {"requestId": draw(storable_text)}
    envelope = application_envelope(detail, id=f"envelope-{number}")

    mutation = draw(st.sampled_from(MUTATIONS))
    target = draw(st.sampled_from([envelope, detail, detail["actor"], detail["target"]]))
    if mutation == "wrong type":
        target[draw(st.sampled_from(sorted(target)))] = draw(json_values)
    elif mutation == "missing":
        del target[draw(st.sampled_from(sorted(target)))]
    elif mutation == "extra":
        target[draw(storable_text)] = draw(json_values)
    elif mutation == "odd text":
        # NUL, a lone surrogate or a huge string in a string field, or as a new key.
        text = draw(any_text)
        fields = sorted(key for key, value in target.items() if isinstance(value, str))
        target[draw(st.sampled_from(fields)) if fields and draw(st.booleans()) else text] = text
    elif mutation == "deep":
        detail["metadata"] = _nested(draw(st.integers(min_value=1, max_value=140)))
    ascii_only = draw(st.booleans())
    if mutation == "raw":
        return Message(draw(st.one_of(any_text, json_values.map(json.dumps))), None)
    # The expected instant holds only while the mutation left occurredAt alone.
    kept_time = envelope.get("detail") is detail and detail.get("occurredAt") == stamp.text
    return Message(
        json.dumps(envelope, ensure_ascii=ascii_only), stamp.instant if kept_time else None
    )


@st.composite
def batches(draw: st.DrawFn) -> list[Message]:
    """Draw one to four messages with distinct bodies."""
    size = draw(st.integers(min_value=1, max_value=4))
    drawn = [draw(messages(number)) for number in range(size)]
    unique = {message.body: message for message in drawn}
    return list(unique.values())
