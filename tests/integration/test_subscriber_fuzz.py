"""Property test: the handler settles every generated record against the real database.

Each record ends stored (its original round-trips and its time is exact to the
microsecond), counted as a duplicate, or rejected with a reason. The handler never
raises, and with a healthy database it reports no batch item failure.
"""

from __future__ import annotations

import pytest
from fuzz_strategies import batches
from hypothesis import given

pytestmark = [pytest.mark.integration, pytest.mark.fuzz]


def fate_of(audit_db, message_id: str, body: str) -> tuple[str, object]:
    """Return what the database holds for one record: (outcome, detail)."""
    rejected = audit_db.execute_all(
        "SELECT reason FROM audit.rejected_events WHERE last_message_id = :id", id=message_id
    )
    if rejected:
        return ("rejected", rejected[0][0])
    duplicate = audit_db.execute_all(
        "SELECT 1 FROM audit.duplicate_deliveries WHERE last_message_id = :id", id=message_id
    )
    if duplicate:
        return ("duplicate", None)
    # Compared as jsonb inside PostgreSQL: the body is stored as it was delivered.
    stored = audit_db.execute_all(
        "SELECT occurred_at FROM audit.events WHERE original = CAST(:body AS jsonb)", body=body
    )
    if len(stored) == 1:
        return ("stored", stored[0][0])
    return ("missing", len(stored))


@given(batch=batches())
def test_every_record_is_settled(subscriber, audit_db, batch):
    audit_db.execute("TRUNCATE audit.events, audit.rejected_events, audit.duplicate_deliveries")

    response = subscriber.invoke([message.body for message in batch])

    # A healthy database leaves nothing to retry: every record is settled.
    assert response == {"batchItemFailures": []}
    stored = 0
    for index, message in enumerate(batch):
        outcome, detail = fate_of(audit_db, f"m-{index}", message.body)
        assert outcome in ("stored", "duplicate", "rejected"), (outcome, detail, message.body[:300])
        if outcome == "rejected":
            assert detail
        if outcome == "stored":
            stored += 1
            if message.instant is not None:
                assert detail == message.instant
    assert audit_db.scalar("SELECT count(*) FROM audit.events") == stored
