"""Load the real AWS samples under tests/fixtures/aws-samples (see SOURCES.md there)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SAMPLES = Path(__file__).parent / "fixtures" / "aws-samples"


def _load_lines(path: Path) -> list[tuple[int, str, dict[str, Any]]]:
    return [
        (number, line.rstrip("\n"), json.loads(line))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(True), start=1)
    ]


def cloudtrail_records() -> list[tuple[int, str, dict[str, Any]]]:
    """(line number, raw line, parsed record) for every CloudTrail sample."""
    return _load_lines(SAMPLES / "cloudtrail" / "records.jsonl")


def eventbridge_events() -> list[tuple[int, str, dict[str, Any]]]:
    """(line number, raw line, parsed envelope) for every EventBridge sample."""
    return _load_lines(SAMPLES / "eventbridge" / "events.jsonl")


def cloudtrail_record(line: int) -> dict[str, Any]:
    return cloudtrail_records()[line - 1][2]


def eventbridge_event(line: int) -> dict[str, Any]:
    return eventbridge_events()[line - 1][2]


def valid_detail(**overrides: Any) -> dict[str, Any]:
    """A detail that uses every field of the event contract."""
    detail: dict[str, Any] = {
        "tenantId": "acme-corp",
        "action": "user.role.granted",
        "eventId": "evt-0001",
        "occurredAt": "2026-11-30T23:59:59.123456Z",
        "outcome": "success",
        "actor": {
            "type": "user",
            "id": "user-42",
            "name": "Zoë Ångström",
            "ip": "198.51.100.7",
            "userAgent": "Mozilla/5.0",
        },
        "target": {"type": "user", "id": "user-77", "name": "李小龙"},
        "changes": [{"field": "role", "old": "viewer", "new": "admin"}],
        "context": {"requestId": "req-1", "sessionId": "sess-1"},
        "metadata": {"ticket": "SEC-1"},
    }
    detail.update(overrides)
    return detail


def application_envelope(detail: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """An EventBridge envelope as the audit bus delivers it to SQS."""
    envelope: dict[str, Any] = {
        "version": "0",
        "id": "6f2b7c9e-3b1a-4c8e-9d2f-0a1b2c3d4e5f",
        "detail-type": "Audit Event",
        "source": "com.example.identity",
        "account": "123456789012",
        "time": "2026-12-01T08:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": valid_detail() if detail is None else detail,
    }
    envelope.update(fields)
    return envelope


def distinct_bodies(count: int, tag: str) -> list[str]:
    """SQS bodies of valid events, each with its own event id, all at one time."""
    return [
        json.dumps(
            application_envelope(
                valid_detail(eventId=f"{tag}-{number}", occurredAt="2026-11-30T10:00:00Z"),
                id=f"envelope-{tag}-{number}",
            )
        )
        for number in range(count)
    ]


def sqs_event(
    bodies: list[str], queue_arn: str = "arn:aws:sqs:us-east-1:123456789012:audit-ingest"
) -> dict[str, Any]:
    """A Lambda SQS event carrying the given bodies, one record each, message ids m-0, m-1, ..."""
    return {
        "Records": [
            {
                "messageId": f"m-{index}",
                "receiptHandle": f"receipt-{index}",
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1764576000000",
                    "SenderId": "AIDAEXAMPLE",
                    "ApproximateFirstReceiveTimestamp": "1764576000001",
                },
                "messageAttributes": {},
                "md5OfBody": "0" * 32,
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "us-east-1",
            }
            for index, body in enumerate(bodies)
        ]
    }
