"""End to end: from PutEvents to the event returned by the GraphQL API, on the local stack.

scripts/stack.py's LocalService runs PostgreSQL, moto's AWS emulator, the
subscriber behind scripts/poller.py (which plays Lambda's SQS event source
mapping) and the GraphQL server behind the JWT authorizer, all on
127.0.0.1 and free ports. The poller uses Lambda's defaults: batches of up
to 10 messages and no batching window.

Each sample publishes one event with PutEvents, then polls the database
every few milliseconds until the event is stored, then requests it from the API
(auditEvent, over HTTP, with a viewer token). Polling the database instead
of the API keeps the benchmark from publishing a read event per poll, since
the API records every read as an audit_log.viewed event; each sample's one
API read still goes through the pipeline, as it would in production.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from localpg import free_port
from stack import LocalService

from audit_common.times import format_utc

TENANT = "acme-corp"
POLL_SECONDS = 0.005
SAMPLE_TIMEOUT_SECONDS = 30.0
EVENT_QUERY = """
query One($tenantId: String!, $eventId: String!, $occurredAt: AWSDateTime!) {
  auditEvent(tenantId: $tenantId, eventId: $eventId, occurredAt: $occurredAt) { eventId }
}
"""


@dataclass
class EndToEnd:
    stored_seconds: list[float]
    returned_seconds: list[float]
    put_seconds: list[float]


def _detail(event_id: str, occurred_at: str) -> dict[str, Any]:
    return {
        "tenantId": TENANT,
        "eventId": event_id,
        "occurredAt": occurred_at,
        "action": "user.role.granted",
        "outcome": "success",
        "actor": {"type": "user", "id": "user-42", "name": "Zoë Ångström", "ip": "198.51.100.7"},
        "target": {"type": "user", "id": "user-77", "name": "李小龙"},
        "changes": [{"field": "role", "old": "viewer", "new": "admin"}],
        "context": {"requestId": str(uuid.uuid4())},
    }


def _one_sample(
    service: LocalService, events: Any, database: Any, token: str
) -> tuple[float, float, float]:
    assert service.resources is not None
    event_id = str(uuid.uuid4())
    occurred_at = format_utc(datetime.now(UTC))
    entry = {
        "EventBusName": service.resources.bus_name,
        "Source": "com.example.identity",
        "DetailType": "Audit Event",
        "Detail": json.dumps(_detail(event_id, occurred_at), ensure_ascii=False),
    }
    started = time.perf_counter()
    response = events.put_events(Entries=[entry])
    put = time.perf_counter() - started
    if response.get("FailedEntryCount"):
        raise RuntimeError(f"PutEvents failed: {response['Entries']}")
    deadline = started + SAMPLE_TIMEOUT_SECONDS
    while not database.run(
        "SELECT 1 FROM audit.events WHERE tenant_id = :tenant AND event_id = :event_id"
        " AND occurred_at = CAST(:occurred_at AS timestamptz)",
        tenant=TENANT,
        event_id=event_id,
        occurred_at=occurred_at,
    ):
        if time.perf_counter() > deadline:
            raise TimeoutError(f"event {event_id} not stored after {SAMPLE_TIMEOUT_SECONDS} s")
        time.sleep(POLL_SECONDS)
    stored = time.perf_counter() - started
    variables = {"tenantId": TENANT, "eventId": event_id, "occurredAt": occurred_at}
    while True:
        reply = httpx.post(
            service.api_url,
            json={"query": EVENT_QUERY, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        ).json()
        if reply.get("errors"):
            raise RuntimeError(f"the API returned errors: {reply['errors']}")
        if reply["data"]["auditEvent"] is not None:
            return put, stored, time.perf_counter() - started
        if time.perf_counter() > deadline:
            raise TimeoutError(f"the API did not return event {event_id}")
        time.sleep(POLL_SECONDS)


def run_end_to_end(samples: int, say: Callable[[str], None]) -> EndToEnd:
    result = EndToEnd([], [], [])
    with LocalService(free_port(), free_port(), batch_size=10, batching_window=0) as service:
        assert service.aws is not None and service.database is not None
        events = service.aws.client("events")
        token = service.token([TENANT], "viewer")
        with service.database.connect_as(service.database.superuser) as database:
            for number in range(samples + 3):
                put, stored, returned = _one_sample(service, events, database, token)
                # The first few start the functions' connections and caches.
                if number >= 3:
                    result.put_seconds.append(put)
                    result.stored_seconds.append(stored)
                    result.returned_seconds.append(returned)
                # Let the read event of this sample's API call pass through.
                time.sleep(0.1)
        say(f"end to end: {samples} events published one at a time")
    return result
