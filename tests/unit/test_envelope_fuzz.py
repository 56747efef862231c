"""Property tests: parsing turns any body into an event or a rejection, never an exception."""

from __future__ import annotations

from datetime import UTC

import pytest
from fuzz_strategies import any_text, json_values, messages, timestamps
from hypothesis import event, given
from hypothesis import strategies as st

from subscriber.config import load_settings
from subscriber.envelope import parse_message
from subscriber.model import AuditEvent, InvalidMessage, Reason, Rejection
from subscriber.values import parse_timestamp

pytestmark = pytest.mark.fuzz

SETTINGS = load_settings({"DB_USER": "writer", "AWS_ACCOUNT_TENANTS": '{"*": "platform"}'})


@given(message=messages(0))
def test_generated_message_parses_or_is_rejected(message):
    parsed = parse_message(message.body, SETTINGS)
    event(parsed.reason.value if isinstance(parsed, Rejection) else "parsed")

    assert isinstance(parsed, AuditEvent | Rejection)
    if isinstance(parsed, Rejection):
        assert parsed.reason in set(Reason)
        assert parsed.message
    elif message.instant is not None:
        assert parsed.occurred_at == message.instant


@given(body=st.one_of(any_text, json_values.map(str)))
def test_arbitrary_text_never_raises(body):
    parsed = parse_message(body, SETTINGS)

    assert isinstance(parsed, AuditEvent | Rejection)


@given(stamp=timestamps())
def test_timestamp_keeps_instant_to_microsecond(stamp):
    try:
        parsed = parse_timestamp(stamp.text, "detail.occurredAt")
    except InvalidMessage as error:
        assert error.reason is Reason.INVALID_TIMESTAMP
        assert stamp.instant is None
        return

    assert parsed.tzinfo is UTC
    assert parsed == stamp.instant
