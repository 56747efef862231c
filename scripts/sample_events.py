"""Generate application audit events that exercise the whole event contract.

The events are deterministic for a given seed and reference time. They
spread over several tenants of skewed sizes, use every field of the
contract, share occurredAt values (ties the query API must order by
event id), carry microsecond times and non-UTC offsets, and put non-ASCII
text (accents, CJK, right-to-left scripts, emoji, combining marks) into
names and values. A fraction can be made invalid on purpose, one kind of
defect each, to show how the subscriber rejects them.

Command line: ``python scripts/sample_events.py --count 20`` prints one
PutEvents entry (Source, DetailType, Detail) per line as JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

DETAIL_TYPE = "Audit Event"

# Tenant ids with weights: a few large customers and a long tail.
TENANTS = (
    ("acme-corp", 40),
    ("globex", 20),
    ("initech", 12),
    ("umbrella", 8),
    ("stark-industries", 6),
    ("wayne-enterprises", 5),
    ("tyrell", 4),
    ("cyberdyne", 3),
    ("soylent", 1),
    ("hooli", 1),
)

ACTIONS = {
    "com.example.billing": (
        ("invoice.created", "invoice"),
        ("invoice.paid", "invoice"),
        ("payment_method.updated", "payment_method"),
        ("subscription.plan.changed", "subscription"),
    ),
    "com.example.identity": (
        ("user.created", "user"),
        ("user.role.granted", "user"),
        ("user.role.revoked", "user"),
        ("session.started", "session"),
        ("mfa.disabled", "user"),
        ("api_key.rotated", "api_key"),
    ),
    "com.example.storage": (
        ("bucket.created", "bucket"),
        ("object.deleted", "object"),
        ("share_link.created", "share_link"),
    ),
    "com.example.support": (
        ("ticket.opened", "ticket"),
        ("ticket.escalated", "ticket"),
    ),
}

PEOPLE = (
    "Zoë Ångström",
    "Søren Kierkegaard",
    "李小龙",
    "محمد الفارسي",
    "שרה לוי",
    "Łukasz Żółw",
    "José Muñoz",
    "Nguyễn Thị Minh",
    "e\u0301milie (combining accent)",
    "Ada Lovelace",
)
SERVICES = ("billing-worker", "🚀 deploy-bot", "scim-sync", "nightly-reconciler")
USER_AGENTS = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15",
    "audit-cli/1.4.2 python/3.11",
)
OFFSETS = (UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8)))

# Each invalid event breaks the contract in exactly one way.
DEFECTS = (
    "missing_actor",
    "unknown_outcome",
    "nul_character",
    "unknown_field",
    "time_without_offset",
)


@dataclass(frozen=True)
class ApplicationEvent:
    """One PutEvents entry for the audit bus."""

    source: str
    detail_type: str
    detail: dict[str, Any]
    defect: str | None = None

    def to_entry(self) -> dict[str, str]:
        return {
            "Source": self.source,
            "DetailType": self.detail_type,
            "Detail": json.dumps(self.detail, ensure_ascii=False),
        }


def _format_time(moment: datetime, offset: timezone) -> str:
    """ISO 8601 with six fractional digits and the given offset (Z for UTC)."""
    text = moment.astimezone(offset).isoformat(timespec="microseconds")
    return text.replace("+00:00", "Z")


def generate_application_events(
    count: int,
    *,
    seed: int = 2026,
    now: datetime | None = None,
    invalid_every: int = 0,
    days: int = 30,
) -> list[ApplicationEvent]:
    """Return `count` events spread over the `days` before `now`.

    With ``invalid_every=n`` every n-th event carries one defect from
    DEFECTS, in turn; 0 makes them all valid.
    """
    rng = random.Random(seed)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    tenants = [tenant for tenant, _ in TENANTS]
    weights = [weight for _, weight in TENANTS]
    sources = sorted(ACTIONS)
    events: list[ApplicationEvent] = []
    previous_time: datetime | None = None
    for number in range(1, count + 1):
        source = rng.choice(sources)
        action, target_type = rng.choice(ACTIONS[source])
        moment = now - timedelta(microseconds=rng.randrange(days * 86_400_000_000))
        # Every fifth event shares its time with the one before it.
        if previous_time is not None and number % 5 == 0:
            moment = previous_time
        previous_time = moment
        is_service = rng.random() < 0.25
        actor: dict[str, Any] = {
            "type": "service" if is_service else "user",
            "id": f"svc-{rng.randrange(100):03d}"
            if is_service
            else f"user-{rng.randrange(5000):05d}",
            "name": rng.choice(SERVICES if is_service else PEOPLE),
        }
        if not is_service:
            actor["ip"] = f"198.51.100.{rng.randrange(1, 255)}"
            actor["userAgent"] = rng.choice(USER_AGENTS)
        detail: dict[str, Any] = {
            "tenantId": rng.choices(tenants, weights)[0],
            "action": action,
            "outcome": rng.choices(("success", "failure", "denied"), (90, 7, 3))[0],
            "actor": actor,
            "target": {
                "type": target_type,
                "id": f"{target_type}-{rng.randrange(10**6):06d}",
                "name": rng.choice(
                    (f"{target_type} №{number}", f"Ürün «{number}»", "日本語の名前")
                ),
            },
            "context": {
                "requestId": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "sessionId": f"sess-{rng.randrange(10**8):08d}",
                "productArea": source.rsplit(".", 1)[-1],
            },
            "metadata": {"schemaVersion": 1, "sampleNumber": number, "note": "ملاحظة ✓"},
        }
        # Most events carry both; some only a time; some neither, so the envelope's
        # id and time stand in. An eventId always comes with its occurredAt.
        identity = rng.random()
        if identity >= 0.1:
            detail["occurredAt"] = _format_time(moment, rng.choice(OFFSETS))
        if identity >= 0.2:
            detail["eventId"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        if "changed" in action or "granted" in action or "revoked" in action or "updated" in action:
            detail["changes"] = [
                {"field": "role", "old": "viewer", "new": "admin"},
                {"field": "limits", "old": {"seats": 5}, "new": {"seats": 50}},
                {"field": "expiresAt", "old": None, "new": "2027-01-01T00:00:00Z"},
            ]
        defect = None
        if invalid_every and number % invalid_every == 0:
            defect = DEFECTS[(number // invalid_every - 1) % len(DEFECTS)]
            _apply_defect(detail, defect)
        events.append(ApplicationEvent(source, DETAIL_TYPE, detail, defect))
    return events


def _apply_defect(detail: dict[str, Any], defect: str) -> None:
    if defect == "missing_actor":
        del detail["actor"]
    elif defect == "unknown_outcome":
        detail["outcome"] = "maybe"
    elif defect == "nul_character":
        detail["actor"]["name"] = "null\x00byte"
    elif defect == "unknown_field":
        detail["tenantID"] = detail["tenantId"]
    elif defect == "time_without_offset":
        detail["occurredAt"] = "2026-01-31T12:00:00"
    else:
        raise ValueError(f"unknown defect {defect!r}; expected one of {', '.join(DEFECTS)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10, help="number of events")
    parser.add_argument("--seed", type=int, default=2026, help="random seed")
    parser.add_argument(
        "--invalid-every", type=int, default=0, help="make every n-th event invalid (0: none)"
    )
    args = parser.parse_args(argv)
    for event in generate_application_events(
        args.count, seed=args.seed, invalid_every=args.invalid_every
    ):
        print(json.dumps(event.to_entry(), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
