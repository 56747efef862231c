"""AppSync's AWSDateTime and AWSJSON scalars, implemented for Ariadne as AppSync defines them.

AWSDateTime is an ISO 8601 date and time with a mandatory offset; this API
writes UTC with six fractional digits, so microseconds survive a round trip.
AWSJSON travels as a string that holds JSON, in both directions.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from ariadne import ScalarType
from graphql import GraphQLError, StringValueNode, ValueNode

from audit_common.times import InvalidTime, format_utc, parse_utc

aws_date_time = ScalarType("AWSDateTime")
aws_json = ScalarType("AWSJSON")


class RawJson(str):
    """JSON text read from PostgreSQL as text, passed to the client unchanged.

    jsonb keeps numbers exactly; parsing them into Python floats would round
    them (12345678901234567890.1, -0.0, 1e-400), so JSON columns travel as text.
    """


@aws_date_time.serializer
def serialize_date_time(value: datetime) -> str:
    return format_utc(value)


@aws_date_time.value_parser
def parse_date_time(value: Any) -> datetime:
    try:
        return parse_utc(value)
    except InvalidTime as error:
        raise GraphQLError(f"AWSDateTime {_preview(value)} is invalid: {error}") from None


@aws_date_time.literal_parser
def parse_date_time_literal(node: ValueNode, variables: dict[str, Any] | None = None) -> datetime:
    if not isinstance(node, StringValueNode):
        raise GraphQLError('AWSDateTime must be a string, such as "2026-01-31T12:00:00Z"')
    return parse_date_time(node.value)


@aws_json.serializer
def serialize_json(value: Any) -> str:
    if isinstance(value, RawJson):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@aws_json.value_parser
def parse_json(value: Any) -> Any:
    if not isinstance(value, str):
        raise GraphQLError('AWSJSON must be a string containing JSON, such as "{\\"a\\": 1}"')
    try:
        return json.loads(value)
    except json.JSONDecodeError as error:
        raise GraphQLError(
            f"AWSJSON is not valid JSON: {error.msg} at position {error.pos}"
        ) from None


@aws_json.literal_parser
def parse_json_literal(node: ValueNode, variables: dict[str, Any] | None = None) -> Any:
    if not isinstance(node, StringValueNode):
        raise GraphQLError("AWSJSON must be a string containing JSON")
    return parse_json(node.value)


def _preview(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=True, default=str)
    return text if len(text) <= 40 else text[:37] + "..."
