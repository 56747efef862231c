"""ISO 8601 times with offsets, as events and the API carry them, kept to the microsecond."""

from __future__ import annotations

import re
from datetime import UTC, datetime

# RFC 3339 date-time with a mandatory offset; any number of fractional digits.
_TIMESTAMP = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}"
    r"(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2}(:[0-9]{2})?)\Z"
)


class InvalidTime(ValueError):
    """A text that is not an ISO 8601 time with an offset, or not a valid one."""


def parse_utc(text: object) -> datetime:
    """Parse an ISO 8601 time with an offset into UTC; digits past microseconds are cut.

    Raises InvalidTime with a message that names the problem, without the value.
    """
    if not isinstance(text, str) or not _TIMESTAMP.match(text):
        raise InvalidTime(
            "expected an ISO 8601 time with an offset, such as 2026-01-31T12:00:00.123456Z"
        )
    try:
        parsed = datetime.fromisoformat(text.upper().replace(" ", "T"))
    except ValueError:
        raise InvalidTime(
            "not a valid time: check the day of the month, the hour (00 to 23) "
            "and the offset (-23:59 to +23:59)"
        ) from None
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise InvalidTime("falls outside years 1 to 9999 in UTC") from None


def format_utc(moment: datetime) -> str:
    """Format as 2026-01-31T12:00:00.123456Z: UTC, always six fractional digits."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
