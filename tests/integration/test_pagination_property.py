"""Walking every page returns each matching event exactly once, in order, despite ties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from graphql_support import EVENTS_QUERY, execute, window
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit_common.times import format_utc

pytestmark = pytest.mark.integration

BASE = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)
# Few distinct times, so many events share one; microsecond steps among them.
TIMES = [BASE + timedelta(microseconds=step) for step in (0, 1, 2, 1_000_000)]
ACTIONS = ["user.created", "user.role.granted", "invoice.paid"]
EVENT_IDS = st.text(alphabet=st.sampled_from("aAbB09-_.ü李 "), min_size=1, max_size=6).map(
    lambda text: "id-" + text
)

events_strategy = st.lists(
    st.tuples(EVENT_IDS, st.sampled_from(TIMES), st.sampled_from(ACTIONS)),
    min_size=0,
    max_size=40,
    unique_by=lambda event: (event[0], event[1]),
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    events=events_strategy,
    page_size=st.sampled_from([1, 2, 3, 7, 50]),
    actions=st.one_of(st.none(), st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=2)),
)
def test_walk_returns_every_event_once(
    api_environment, audit_db, insert_events, events, page_size, actions
):
    audit_db.execute("TRUNCATE audit.events")
    insert_events(
        [
            {"tenant_id": "acme", "event_id": event_id, "occurred_at": at, "action": action}
            for event_id, at, action in events
        ]
    )
    wanted = set(actions or ACTIONS)
    expected = [
        (row[0], format_utc(row[1]))
        for row in audit_db.execute_all(
            "SELECT event_id, occurred_at FROM audit.events WHERE tenant_id = 'acme'"
            " AND action = ANY(CAST(:actions AS text[]))"
            " ORDER BY occurred_at DESC, event_id DESC",
            actions=sorted(wanted),
        )
    ]
    variables = {
        "filter": window(end=BASE + timedelta(days=1), **({"actions": actions} if actions else {})),
        "first": page_size,
    }

    walked: list[tuple[str, str]] = []
    after = None
    for _ in range(len(events) + 2):
        result = execute(EVENTS_QUERY, {**variables, "after": after})
        assert "errors" not in result, result
        page = result["data"]["auditEvents"]
        walked += [(edge["node"]["eventId"], edge["node"]["occurredAt"]) for edge in page["edges"]]
        assert len(page["edges"]) <= page_size
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert walked == expected
    assert len(set(walked)) == len(walked)
