"""AWSDateTime and AWSJSON as AppSync defines them, and the signed cursor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from graphql import GraphQLError

from graphql_api.cursor import Position, decode_cursor, encode_cursor
from graphql_api.errors import ApiError, ErrorType
from graphql_api.scalars import parse_date_time, parse_json, serialize_date_time, serialize_json

KEY = b"k" * 32


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-30T23:59:59.123456Z", datetime(2026, 11, 30, 23, 59, 59, 123456, tzinfo=UTC)),
        (
            "2026-12-01T00:59:59.123456+01:00",
            datetime(2026, 11, 30, 23, 59, 59, 123456, tzinfo=UTC),
        ),
        ("2026-11-30T23:59:59Z", datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC)),
        ("2026-11-30T23:59:59.123456789Z", datetime(2026, 11, 30, 23, 59, 59, 123456, tzinfo=UTC)),
    ],
)
def test_date_time_parses_to_utc(text, expected):
    assert parse_date_time(text) == expected


@pytest.mark.parametrize("text", ["2026-11-30T23:59:59", "2026-11-30", "yesterday", 5, None])
def test_date_time_without_offset_is_rejected(text):
    with pytest.raises(GraphQLError, match="AWSDateTime"):
        parse_date_time(text)


def test_date_time_serializes_microseconds():
    moment = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=timezone(timedelta(hours=2)))

    assert serialize_date_time(moment) == "2026-01-02T01:04:05.000006Z"


def test_date_time_round_trip():
    moment = datetime(2026, 6, 30, 23, 59, 59, 999999, tzinfo=UTC)

    assert parse_date_time(serialize_date_time(moment)) == moment


def test_json_round_trip():
    value = {"a": [1, 2.5, None, "ü"], "b": {"c": True}}

    assert parse_json(serialize_json(value)) == value


@pytest.mark.parametrize("value", ["{not json", 5, {"a": 1}])
def test_json_must_be_json_string(value):
    with pytest.raises(GraphQLError, match="AWSJSON"):
        parse_json(value)


def test_cursor_round_trip_keeps_microseconds():
    position = Position(datetime(2026, 11, 30, 12, 0, 0, 1, tzinfo=UTC), "evt-ü")

    cursor = encode_cursor(position, "filter-a", KEY)

    assert decode_cursor(cursor, "filter-a", KEY) == position


def test_cursor_for_other_filter_is_rejected():
    cursor = encode_cursor(Position(datetime(2026, 1, 1, tzinfo=UTC), "e"), "filter-a", KEY)

    with pytest.raises(ApiError) as raised:
        decode_cursor(cursor, "filter-b", KEY)

    assert raised.value.error_type is ErrorType.BAD_CURSOR


def test_cursor_signed_with_other_key_is_rejected():
    cursor = encode_cursor(Position(datetime(2026, 1, 1, tzinfo=UTC), "e"), "f", b"x" * 32)

    with pytest.raises(ApiError, match="signature"):
        decode_cursor(cursor, "f", KEY)
