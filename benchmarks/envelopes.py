"""Real-shaped EventBridge envelopes in SQS events, as the subscriber receives them."""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime
from typing import Any

from sample_events import generate_application_events

ACCOUNT = "123456789012"
REGION = "us-east-1"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:audit-ingest"


def envelope_bodies(count: int, *, seed: int, now: datetime | None = None) -> list[str]:
    """Return `count` SQS bodies: EventBridge envelopes around valid generated application events.

    The details come from scripts/sample_events.py (ten tenants of skewed
    sizes, every field of the contract, non-ASCII text), spread over the 30
    days before `now`. Each envelope is serialised compactly, as EventBridge
    delivers it to SQS.
    """
    now = now or datetime.now(UTC)
    rng = random.Random(seed)
    bodies = []
    for event in generate_application_events(count, seed=seed, now=now):
        envelope = {
            "version": "0",
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "detail-type": event.detail_type,
            "source": event.source,
            "account": ACCOUNT,
            "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": REGION,
            "resources": [],
            "detail": event.detail,
        }
        bodies.append(json.dumps(envelope, ensure_ascii=False, separators=(",", ":")))
    return bodies


def sqs_event(bodies: list[str], *, seed: int) -> dict[str, Any]:
    """Wrap bodies in a Lambda SQS event, one record each, as the event source mapping sends it."""
    rng = random.Random(seed)
    sent = "1764576000000"
    return {
        "Records": [
            {
                "messageId": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "receiptHandle": f"receipt-{index}",
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": sent,
                    "SenderId": "AIDAEXAMPLE",
                    "ApproximateFirstReceiveTimestamp": sent,
                },
                "messageAttributes": {},
                "md5OfBody": "0" * 32,
                "eventSource": "aws:sqs",
                "eventSourceARN": QUEUE_ARN,
                "awsRegion": REGION,
            }
            for index, body in enumerate(bodies)
        ]
    }
