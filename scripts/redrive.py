"""List, inspect and redrive dead-lettered messages and rejected events after a fix.

    python scripts/redrive.py dlq list --dlq-url URL
    python scripts/redrive.py dlq inspect --dlq-url URL MESSAGE_ID
    python scripts/redrive.py dlq redrive --dlq-url URL --queue-url URL [--apply]
    python scripts/redrive.py rejected list [--reason REASON] [--tenant TENANT]
    python scripts/redrive.py rejected inspect ID
    python scripts/redrive.py rejected redrive --queue-url URL [--reason REASON] [--apply]

A redrive is a dry run that only counts what it would do, unless ``--apply`` is given.

* ``dlq redrive`` sends each dead-lettered message (body and message attributes) to the
  ingest queue and deletes it from the DLQ only after SQS accepted the copy.
* ``rejected redrive`` sends each rejected row's raw body to the ingest queue, the path
  every event takes, and deletes the row only after SQS accepted it. A body that is
  rejected again comes back as a new row. A row whose seen_count changed while the
  tool ran (the subscriber rejected the same body again) is kept.

SQS is reached through boto3's usual credential chain, at ``--endpoint-url`` (default:
$AWS_ENDPOINT_URL, unset for real AWS). PostgreSQL is reached at ``--database-url``
(default: $AUDIT_DATABASE_URL) as a login role in the group role audit_redriver. The
password comes from the URL or from $PGPASSWORD. A progress bar goes to stderr when
it is a terminal, or with ``--progress``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import urllib.parse
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO

import boto3
import pg8000.native
from botocore.exceptions import BotoCoreError, ClientError

logger = logging.getLogger("redrive")

MAX_BATCH = 10  # SQS's limit for SendMessageBatch, DeleteMessageBatch and ReceiveMessage
# Seconds a received DLQ message stays invisible to other consumers if the tool stops
# before it releases or deletes the message. Long enough to page through a large DLQ.
DEFAULT_HOLD_SECONDS = 300


# -- progress -----------------------------------------------------------------------------


class Progress:
    """A one-line progress bar on a stream; it prints nothing when disabled."""

    def __init__(self, label: str, total: int, *, enabled: bool, stream: TextIO = sys.stderr):
        self.label = label
        self.total = max(total, 0)
        self.done = 0
        self.enabled = enabled
        self.stream = stream

    def advance(self, count: int = 1) -> None:
        self.done += count
        if self.enabled:
            self._draw()

    def _draw(self) -> None:
        width = 30
        total = max(self.total, self.done, 1)
        filled = int(width * self.done / total)
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {self.done}/{total}")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.done:
            self.stream.write("\n")
            self.stream.flush()


def progress_enabled(requested: bool, stream: TextIO = sys.stderr) -> bool:
    return requested or stream.isatty()


@dataclass
class Counts:
    """Tally of a redrive's outcomes; a dry run fills in only selected and by_reason."""

    selected: int = 0
    sent: int = 0
    removed: int = 0
    kept_changed: int = 0
    failed: int = 0
    by_reason: Counter[str] = field(default_factory=Counter)


def _chunks(items: Sequence[Any], size: int = MAX_BATCH) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# -- SQS -------------------------------------------------------------------------------------


def make_sqs(endpoint_url: str | None, region: str | None) -> Any:
    """Create an SQS client: the emulator at ``endpoint_url``, or AWS when it is None."""
    return boto3.client("sqs", endpoint_url=endpoint_url or None, region_name=region)


def approximate_depth(sqs: Any, queue_url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes.get("ApproximateNumberOfMessages", 0))


def _receive(sqs: Any, queue_url: str, hold_seconds: int) -> list[dict[str, Any]]:
    response = sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=MAX_BATCH,
        WaitTimeSeconds=1,
        VisibilityTimeout=hold_seconds,
        AttributeNames=["All"],
        MessageAttributeNames=["All"],
    )
    return response.get("Messages", [])


def receive_all(
    sqs: Any, queue_url: str, *, limit: int | None, hold_seconds: int, progress: Progress
) -> list[dict[str, Any]]:
    """Receive up to ``limit`` messages and keep them invisible for ``hold_seconds``.

    SQS has no read-only listing: a received message is hidden from other consumers
    until release() makes it visible again or the hold ends.
    """
    received: dict[str, dict[str, Any]] = {}
    while limit is None or len(received) < limit:
        batch = _receive(sqs, queue_url, hold_seconds)
        new = [message for message in batch if message["MessageId"] not in received]
        if not new:
            break
        for message in new:
            received[message["MessageId"]] = message
        progress.advance(len(new))
    messages = list(received.values())
    if limit is not None and len(messages) > limit:
        release(sqs, queue_url, messages[limit:])
        messages = messages[:limit]
    return messages


def release(sqs: Any, queue_url: str, messages: Sequence[dict[str, Any]]) -> None:
    """Make held messages visible again at once."""
    for chunk in _chunks(messages):
        response = sqs.change_message_visibility_batch(
            QueueUrl=queue_url,
            Entries=[
                {
                    "Id": str(index),
                    "ReceiptHandle": message["ReceiptHandle"],
                    "VisibilityTimeout": 0,
                }
                for index, message in enumerate(chunk)
            ],
        )
        for failure in response.get("Failed", []):
            logger.warning(
                "failed to make a message visible again, so it reappears when its hold ends: %s",
                failure.get("Message") or failure.get("Code"),
            )


def _copy_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    """Keep the fields SendMessage accepts from a received message attribute."""
    return {
        name: {
            key: value[key] for key in ("DataType", "StringValue", "BinaryValue") if key in value
        }
        for name, value in attributes.items()
    }


def summarise_message(message: dict[str, Any]) -> dict[str, Any]:
    """Return the fields an operator needs to decide on a dead-lettered message."""
    attributes = message.get("Attributes", {})
    body = message.get("Body", "")
    try:
        envelope = json.loads(body)
    except ValueError:
        envelope = None
    detail = envelope.get("detail") if isinstance(envelope, dict) else None
    return {
        "message_id": message["MessageId"],
        "receive_count": int(attributes.get("ApproximateReceiveCount", 0)),
        "sent_at": _from_epoch_ms(attributes.get("SentTimestamp")),
        "source": envelope.get("source") if isinstance(envelope, dict) else None,
        "tenant_id": detail.get("tenantId") if isinstance(detail, dict) else None,
        "event_id": detail.get("eventId") if isinstance(detail, dict) else None,
        "body_bytes": len(body.encode("utf-8", "surrogatepass")),
    }


def _from_epoch_ms(value: str | None) -> str | None:
    if not value:
        return None
    return datetime.fromtimestamp(int(value) / 1000).astimezone().isoformat(timespec="seconds")


def redrive_dlq(
    sqs: Any,
    dlq_url: str,
    queue_url: str,
    *,
    apply: bool,
    limit: int | None,
    message_ids: set[str] | None,
    progress: Progress,
) -> Counts:
    """Move dead-lettered messages to the ingest queue, ten at a time.

    Without ``apply`` every selected message is only held, counted and released.
    A message is deleted from the DLQ only after SendMessageBatch accepted its copy.
    """
    counts = Counts()
    held: list[dict[str, Any]] = []
    seen: set[str] = set()
    # The DLQ's depth at the start bounds the run, so that a copy that fails again
    # and returns to the DLQ during the run is not sent round in a loop.
    budget = approximate_depth(sqs, dlq_url) if limit is None else limit
    while counts.selected < budget:
        batch = [
            message
            for message in _receive(sqs, dlq_url, DEFAULT_HOLD_SECONDS)
            if message["MessageId"] not in seen
        ]
        if not batch:
            break
        seen.update(message["MessageId"] for message in batch)
        wanted = [
            message
            for message in batch
            if message_ids is None or message["MessageId"] in message_ids
        ][: budget - counts.selected]
        skipped = [message for message in batch if message not in wanted]
        held.extend(skipped)
        counts.selected += len(wanted)
        if not apply:
            held.extend(wanted)
        elif wanted:
            _move(sqs, dlq_url, queue_url, wanted, counts)
        progress.advance(len(wanted))
    release(sqs, dlq_url, held)
    return counts


def _move(
    sqs: Any, dlq_url: str, queue_url: str, messages: list[dict[str, Any]], counts: Counts
) -> None:
    entries = []
    for index, message in enumerate(messages):
        entry: dict[str, Any] = {"Id": str(index), "MessageBody": message["Body"]}
        if message.get("MessageAttributes"):
            entry["MessageAttributes"] = _copy_attributes(message["MessageAttributes"])
        entries.append(entry)
    response = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
    for failure in response.get("Failed", []):
        message = messages[int(failure["Id"])]
        counts.failed += 1
        logger.error(
            "sending DLQ message %s to the queue failed, left in the DLQ: %s",
            message["MessageId"],
            failure.get("Message") or failure.get("Code"),
        )
    sent = [messages[int(success["Id"])] for success in response.get("Successful", [])]
    counts.sent += len(sent)
    if not sent:
        return
    deleted = sqs.delete_message_batch(
        QueueUrl=dlq_url,
        Entries=[
            {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
            for index, message in enumerate(sent)
        ],
    )
    counts.removed += len(deleted.get("Successful", []))
    for failure in deleted.get("Failed", []):
        counts.failed += 1
        logger.error(
            "message %s was sent to the queue but not deleted from the DLQ, so it may be "
            "delivered twice (the subscriber stores it once): %s",
            sent[int(failure["Id"])]["MessageId"],
            failure.get("Message") or failure.get("Code"),
        )


# -- PostgreSQL: audit.rejected_events --------------------------------------------------------

LIST_COLUMNS = (
    "id, reason, tenant_id, event_id, source, seen_count, last_seen_at, "
    "left(message, 120) AS message"
)


@dataclass(frozen=True)
class Selection:
    """Filter on rejected rows: reasons, tenants, row ids and a row limit."""

    reasons: tuple[str, ...] = ()
    tenants: tuple[str, ...] = ()
    ids: tuple[int, ...] = ()
    limit: int | None = None

    def where(self) -> tuple[str, dict[str, Any]]:
        conditions = ["true"]
        params: dict[str, Any] = {}
        if self.reasons:
            conditions.append("reason = ANY(CAST(:reasons AS text[]))")
            params["reasons"] = list(self.reasons)
        if self.tenants:
            conditions.append("tenant_id = ANY(CAST(:tenants AS text[]))")
            params["tenants"] = list(self.tenants)
        if self.ids:
            conditions.append("id = ANY(CAST(:ids AS bigint[]))")
            params["ids"] = list(self.ids)
        return " AND ".join(conditions), params


class InvalidDatabaseUrl(ValueError):
    """A --database-url that is not a postgresql:// URL with a host."""


def connect(database_url: str) -> pg8000.native.Connection:
    """Open a connection from a postgresql:// URL; the password may come from $PGPASSWORD."""
    parts = urllib.parse.urlsplit(database_url)
    if parts.scheme not in ("postgresql", "postgres") or not parts.hostname:
        raise InvalidDatabaseUrl(
            "--database-url is invalid: expected postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
        )
    password = urllib.parse.unquote(parts.password or "") or os.environ.get("PGPASSWORD")
    if not password:
        raise InvalidDatabaseUrl(
            "--database-url has no password: put it in the URL "
            "(postgresql://USER:PASSWORD@HOST/DATABASE) or in $PGPASSWORD"
        )
    return pg8000.native.Connection(
        urllib.parse.unquote(parts.username or ""),
        host=parts.hostname,
        port=parts.port or 5432,
        database=urllib.parse.unquote(parts.path.lstrip("/")) or None,
        password=password,
        application_name="audit-redrive",
    )


def list_rejected(
    connection: pg8000.native.Connection, selection: Selection
) -> list[dict[str, Any]]:
    where, params = selection.where()
    limit = f" LIMIT {int(selection.limit)}" if selection.limit is not None else ""
    rows = connection.run(
        f"SELECT {LIST_COLUMNS} FROM audit.rejected_events WHERE {where} ORDER BY id{limit}",
        **params,
    )
    names = [column["name"] for column in connection.columns]
    return [dict(zip(names, row, strict=True)) for row in rows]


def count_rejected(connection: pg8000.native.Connection, selection: Selection) -> int:
    where, params = selection.where()
    return int(
        connection.run(f"SELECT count(*) FROM audit.rejected_events WHERE {where}", **params)[0][0]
    )


def inspect_rejected(connection: pg8000.native.Connection, row_id: int) -> dict[str, Any] | None:
    rows = connection.run("SELECT * FROM audit.rejected_events WHERE id = :id", id=row_id)
    if not rows:
        return None
    names = [column["name"] for column in connection.columns]
    return dict(zip(names, rows[0], strict=True))


def _rejected_batches(
    connection: pg8000.native.Connection, selection: Selection
) -> Iterator[list[tuple[int, str, str, int]]]:
    """Yield (id, reason, raw_body, seen_count) rows in id order, ten at a time."""
    where, params = selection.where()
    after = 0
    remaining = selection.limit
    while remaining is None or remaining > 0:
        size = MAX_BATCH if remaining is None else min(MAX_BATCH, remaining)
        rows = connection.run(
            "SELECT id, reason, raw_body, seen_count FROM audit.rejected_events"
            f" WHERE {where} AND id > :after ORDER BY id LIMIT {size}",
            after=after,
            **params,
        )
        if not rows:
            return
        yield [tuple(row) for row in rows]  # type: ignore[misc]
        after = rows[-1][0]
        if remaining is not None:
            remaining -= len(rows)


def redrive_rejected(
    connection: pg8000.native.Connection,
    sqs: Any,
    queue_url: str,
    selection: Selection,
    *,
    apply: bool,
    progress: Progress,
) -> Counts:
    """Send rejected raw bodies to the ingest queue; delete each row once SQS accepted it."""
    counts = Counts()
    for rows in _rejected_batches(connection, selection):
        counts.selected += len(rows)
        counts.by_reason.update(reason for _, reason, _, _ in rows)
        if apply:
            _resubmit(connection, sqs, queue_url, rows, counts)
        progress.advance(len(rows))
    return counts


def _resubmit(
    connection: pg8000.native.Connection,
    sqs: Any,
    queue_url: str,
    rows: list[tuple[int, str, str, int]],
    counts: Counts,
) -> None:
    by_id = {str(row_id): (row_id, seen_count) for row_id, _, _, seen_count in rows}
    response = sqs.send_message_batch(
        QueueUrl=queue_url,
        Entries=[{"Id": str(row_id), "MessageBody": body} for row_id, _, body, _ in rows],
    )
    for failure in response.get("Failed", []):
        counts.failed += 1
        logger.error(
            "sending rejected row %s to the queue failed, row kept: %s",
            failure["Id"],
            failure.get("Message") or failure.get("Code"),
        )
    for success in response.get("Successful", []):
        counts.sent += 1
        row_id, seen_count = by_id[success["Id"]]
        # Deleted only if no new rejection of the same body arrived since it was read.
        deleted = connection.run(
            "DELETE FROM audit.rejected_events WHERE id = :id AND seen_count = :seen RETURNING id",
            id=row_id,
            seen=seen_count,
        )
        if deleted:
            counts.removed += 1
        else:
            counts.kept_changed += 1
            logger.warning(
                "rejected row %d changed while it was redriven (rejected again, or deleted); kept",
                row_id,
            )


# -- command line ------------------------------------------------------------------------------


def _print_table(rows: Iterable[dict[str, Any]], columns: Sequence[str], out: TextIO) -> int:
    count = 0
    out.write("\t".join(columns) + "\n")
    for row in rows:
        out.write(
            "\t".join("" if row.get(name) is None else str(row[name]) for name in columns) + "\n"
        )
        count += 1
    return count


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _report(counts: Counts, *, apply: bool, what: str, destination: str, out: TextIO) -> int:
    reasons = ", ".join(f"{reason}={count}" for reason, count in sorted(counts.by_reason.items()))
    if not apply:
        out.write(
            f"dry run: would send {counts.selected} {what} to {destination}"
            + (f" ({reasons})" if reasons else "")
            + "; run again with --apply to send them\n"
        )
        return 0
    out.write(
        f"selected {counts.selected} {what}: sent {counts.sent}, removed {counts.removed}, "
        f"kept because changed {counts.kept_changed}, failed {counts.failed}"
        + (f" ({reasons})" if reasons else "")
        + "\n"
    )
    return 1 if counts.failed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sources = parser.add_subparsers(dest="source", required=True)

    sqs_options = argparse.ArgumentParser(add_help=False)
    sqs_options.add_argument(
        "--endpoint-url",
        default=os.environ.get("AWS_ENDPOINT_URL"),
        help="SQS endpoint, for an emulator (default: $AWS_ENDPOINT_URL; unset for AWS)",
    )
    sqs_options.add_argument("--region", default=None, help="AWS region (default: boto3's)")
    database_options = argparse.ArgumentParser(add_help=False)
    database_options.add_argument(
        "--database-url",
        default=os.environ.get("AUDIT_DATABASE_URL"),
        help="postgresql://USER@HOST:PORT/DATABASE of a member of audit_redriver "
        "(default: $AUDIT_DATABASE_URL; the password may come from $PGPASSWORD)",
    )
    run_options = argparse.ArgumentParser(add_help=False)
    run_options.add_argument(
        "--apply", action="store_true", help="send and delete; without it, only count"
    )
    run_options.add_argument("--limit", type=int, help="redrive at most this many")
    run_options.add_argument(
        "--progress", action="store_true", help="draw a progress bar on stderr even if not a TTY"
    )

    dlq = sources.add_parser("dlq", help="messages in the dead-letter queue")
    dlq_commands = dlq.add_subparsers(dest="command", required=True)
    dlq_list = dlq_commands.add_parser("list", parents=[sqs_options], help="list messages")
    dlq_inspect = dlq_commands.add_parser("inspect", parents=[sqs_options], help="show one message")
    dlq_inspect.add_argument("message_id", help="the message id that list shows")
    dlq_redrive = dlq_commands.add_parser(
        "redrive", parents=[sqs_options, run_options], help="send messages back to the queue"
    )
    dlq_redrive.add_argument("--queue-url", required=True, help="the ingest queue to send to")
    dlq_redrive.add_argument(
        "--message-id", action="append", help="redrive only this message; repeat for more"
    )
    for command in (dlq_list, dlq_inspect, dlq_redrive):
        command.add_argument("--dlq-url", required=True, help="the dead-letter queue")
    for command in (dlq_list, dlq_inspect):
        command.add_argument(
            "--hold-seconds",
            type=int,
            default=DEFAULT_HOLD_SECONDS,
            help="seconds listed messages stay invisible if the tool stops before releasing "
            f"them (default {DEFAULT_HOLD_SECONDS})",
        )
    dlq_list.add_argument("--limit", type=int, help="list at most this many")
    dlq_list.add_argument("--progress", action="store_true", help="progress bar on stderr")

    rejected = sources.add_parser("rejected", help="rows of audit.rejected_events")
    rejected_commands = rejected.add_subparsers(dest="command", required=True)
    rejected_list = rejected_commands.add_parser(
        "list", parents=[database_options], help="list rows"
    )
    rejected_list.add_argument("--limit", type=int, default=100, help="rows to list (default 100)")
    rejected_inspect = rejected_commands.add_parser(
        "inspect", parents=[database_options], help="show one row with its raw body"
    )
    rejected_inspect.add_argument("id", type=int, help="the row id that list shows")
    rejected_redrive = rejected_commands.add_parser(
        "redrive",
        parents=[database_options, sqs_options, run_options],
        help="send raw bodies to the ingest queue again",
    )
    rejected_redrive.add_argument("--queue-url", required=True, help="the ingest queue to send to")
    rejected_redrive.add_argument("--id", type=int, action="append", help="only this row; repeat")
    for command in (rejected_list, rejected_redrive):
        command.add_argument("--reason", action="append", help="only this reason; repeat for more")
        command.add_argument("--tenant", action="append", help="only this tenant; repeat for more")
    return parser


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        if args.source == "dlq":
            return _run_dlq(args, out)
        return _run_rejected(args, out)
    except (BotoCoreError, ClientError) as error:
        logger.error("SQS request failed: %s", error)
        return 2
    except (pg8000.native.DatabaseError, pg8000.native.InterfaceError, OSError) as error:
        logger.error("database request failed: %s", error)
        return 2
    except InvalidDatabaseUrl as error:
        logger.error("%s", error)
        return 2


def _run_dlq(args: argparse.Namespace, out: TextIO) -> int:
    sqs = make_sqs(args.endpoint_url, args.region)
    if args.command == "redrive":
        progress = Progress(
            "redrive", approximate_depth(sqs, args.dlq_url), enabled=progress_enabled(args.progress)
        )
        counts = redrive_dlq(
            sqs,
            args.dlq_url,
            args.queue_url,
            apply=args.apply,
            limit=args.limit,
            message_ids=set(args.message_id) if args.message_id else None,
            progress=progress,
        )
        progress.close()
        return _report(
            counts, apply=args.apply, what="DLQ messages", destination=args.queue_url, out=out
        )
    enabled = args.command == "list" and progress_enabled(args.progress)
    progress = Progress("list", approximate_depth(sqs, args.dlq_url), enabled=enabled)
    limit = args.limit if args.command == "list" else None
    messages = receive_all(
        sqs, args.dlq_url, limit=limit, hold_seconds=args.hold_seconds, progress=progress
    )
    progress.close()
    try:
        if args.command == "list":
            columns = [
                "message_id",
                "receive_count",
                "sent_at",
                "source",
                "tenant_id",
                "event_id",
                "body_bytes",
            ]
            count = _print_table((summarise_message(message) for message in messages), columns, out)
            out.write(f"{count} message(s) in {args.dlq_url}\n")
            return 0
        for message in messages:
            if message["MessageId"] == args.message_id:
                shown = {key: value for key, value in message.items() if key != "ReceiptHandle"}
                out.write(json.dumps(shown, indent=2, ensure_ascii=False) + "\n")
                return 0
        logger.error("message %s not found in %s", args.message_id, args.dlq_url)
        return 1
    finally:
        release(sqs, args.dlq_url, messages)


def _run_rejected(args: argparse.Namespace, out: TextIO) -> int:
    if not args.database_url:
        logger.error("no database: pass --database-url or set AUDIT_DATABASE_URL")
        return 2
    connection = connect(args.database_url)
    try:
        if args.command == "inspect":
            row = inspect_rejected(connection, args.id)
            if row is None:
                logger.error("rejected row %d not found", args.id)
                return 1
            out.write(json.dumps(row, indent=2, ensure_ascii=False, default=_json_default) + "\n")
            return 0
        selection = Selection(
            reasons=tuple(args.reason or ()),
            tenants=tuple(args.tenant or ()),
            ids=tuple(getattr(args, "id", None) or ()),
            limit=args.limit,
        )
        if args.command == "list":
            columns = [
                "id",
                "reason",
                "tenant_id",
                "event_id",
                "source",
                "seen_count",
                "last_seen_at",
                "message",
            ]
            _print_table(list_rejected(connection, selection), columns, out)
            out.write(f"{count_rejected(connection, selection)} rejected row(s) match\n")
            return 0
        total = count_rejected(connection, selection)
        if selection.limit is not None:
            total = min(total, selection.limit)
        progress = Progress("redrive", total, enabled=progress_enabled(args.progress))
        sqs = make_sqs(args.endpoint_url, args.region)
        counts = redrive_rejected(
            connection, sqs, args.queue_url, selection, apply=args.apply, progress=progress
        )
        progress.close()
        return _report(
            counts, apply=args.apply, what="rejected bodies", destination=args.queue_url, out=out
        )
    finally:
        connection.close()


if __name__ == "__main__":
    sys.exit(main())
