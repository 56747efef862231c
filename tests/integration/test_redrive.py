"""scripts/redrive.py against the emulator's queues and the real rejected-events table."""

from __future__ import annotations

import io
import json
import urllib.parse

import pytest
from conftest import configure_subscriber
from localaws import count_messages
from queue_support import drain, make_poller, send
from redrive import Progress, Selection, connect, main, redrive_rejected
from samples import distinct_bodies

pytestmark = pytest.mark.integration


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def visible(sqs, queue_url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def received_bodies(sqs, queue_url: str) -> list[str]:
    found: dict[str, str] = {}
    while batch := sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=30
    ).get("Messages"):
        found.update((message["MessageId"], message["Body"]) for message in batch)
    return sorted(found.values())


def database_url(audit_db) -> str:
    database = audit_db.database
    credentials = database.redriver
    password = urllib.parse.quote(credentials.password, safe="")
    return (
        f"postgresql://{credentials.user}:{password}@{database.host}:{database.port}/"
        f"{database.name}"
    )


def rejected_rows(audit_db) -> list[tuple[str, int]]:
    return [
        (row[0], row[1])
        for row in audit_db.execute_all(
            "SELECT reason, seen_count FROM audit.rejected_events ORDER BY id"
        )
    ]


# -- the dead-letter queue ---------------------------------------------------------------------


def test_dlq_list_shows_and_releases(sqs_client, aws_resources):
    send(sqs_client, aws_resources.dlq_url, distinct_bodies(3, "listed"))
    endpoint = ["--endpoint-url", aws_resources.endpoint_url, "--dlq-url", aws_resources.dlq_url]

    code, output = run("dlq", "list", *endpoint)

    assert code == 0
    assert output.count("acme-corp") == 3
    assert "listed-0" in output
    assert output.endswith("3 message(s) in " + aws_resources.dlq_url + "\n")
    # Listing received the messages; it must make them visible again.
    assert visible(sqs_client, aws_resources.dlq_url) == 3


def test_dlq_inspect_prints_body(sqs_client, aws_resources):
    body = distinct_bodies(1, "inspected")[0]
    send(sqs_client, aws_resources.dlq_url, [body])
    message_id = sqs_client.receive_message(QueueUrl=aws_resources.dlq_url, VisibilityTimeout=0)[
        "Messages"
    ][0]["MessageId"]
    endpoint = ["--endpoint-url", aws_resources.endpoint_url, "--dlq-url", aws_resources.dlq_url]

    code, output = run("dlq", "inspect", *endpoint, message_id)
    missing_code, _ = run("dlq", "inspect", *endpoint, "no-such-message")

    assert code == 0
    assert json.loads(output)["Body"] == body
    assert "ReceiptHandle" not in json.loads(output)
    assert missing_code == 1
    assert visible(sqs_client, aws_resources.dlq_url) == 1


def test_dlq_redrive_dry_run_changes_nothing(sqs_client, aws_resources):
    send(sqs_client, aws_resources.dlq_url, distinct_bodies(12, "dry"))

    code, output = run(
        "dlq",
        "redrive",
        "--endpoint-url",
        aws_resources.endpoint_url,
        "--dlq-url",
        aws_resources.dlq_url,
        "--queue-url",
        aws_resources.queue_url,
    )

    assert code == 0
    assert output.startswith("dry run: would send 12 DLQ messages")
    assert visible(sqs_client, aws_resources.dlq_url) == 12
    assert count_messages(sqs_client, aws_resources.queue_url) == 0


def test_dlq_redrive_moves_after_fix(
    subscriber, audit_db, sqs_client, provision_aws, monkeypatch, unused_port
):
    resources = provision_aws(max_receive_count=1, visibility_timeout_seconds=1)
    messages = distinct_bodies(15, "outage")
    send(sqs_client, resources.queue_url, messages)

    # Nothing listens on the port: every batch fails, and SQS dead-letters each message
    # when it comes round a second time.
    broken = configure_subscriber(
        monkeypatch, audit_db.database, DB_PORT=str(unused_port), DB_CONNECT_TIMEOUT_SECONDS="1"
    )
    broken_poller = make_poller(sqs_client, resources, broken.handler.lambda_handler)
    drain(broken_poller, sqs_client, resources)
    assert broken_poller.stats().failed >= 15
    assert count_messages(sqs_client, resources.dlq_url) == 15

    fixed = configure_subscriber(monkeypatch, audit_db.database)
    poller = make_poller(sqs_client, resources, fixed.handler.lambda_handler)
    code, output = run(
        "dlq",
        "redrive",
        "--apply",
        "--endpoint-url",
        resources.endpoint_url,
        "--dlq-url",
        resources.dlq_url,
        "--queue-url",
        resources.queue_url,
    )
    drain(poller, sqs_client, resources)

    assert code == 0
    assert output == (
        "selected 15 DLQ messages: sent 15, removed 15, kept because changed 0, failed 0\n"
    )
    assert count_messages(sqs_client, resources.dlq_url) == 0
    assert audit_db.scalar("SELECT count(*) FROM audit.events") == 15
    assert audit_db.scalar("SELECT count(*) FROM audit.rejected_events") == 0


def test_dlq_redrive_only_named_message(sqs_client, aws_resources):
    send(sqs_client, aws_resources.dlq_url, distinct_bodies(3, "named"))
    wanted = sqs_client.receive_message(QueueUrl=aws_resources.dlq_url, VisibilityTimeout=0)[
        "Messages"
    ][0]

    code, output = run(
        "dlq",
        "redrive",
        "--apply",
        "--endpoint-url",
        aws_resources.endpoint_url,
        "--dlq-url",
        aws_resources.dlq_url,
        "--queue-url",
        aws_resources.queue_url,
        "--message-id",
        wanted["MessageId"],
    )

    assert code == 0
    assert output.startswith("selected 1 DLQ messages: sent 1, removed 1")
    assert received_bodies(sqs_client, aws_resources.queue_url) == [wanted["Body"]]
    assert visible(sqs_client, aws_resources.dlq_url) == 2


# -- rejected events ---------------------------------------------------------------------------


def reject_for_size(subscriber_fixture, monkeypatch, audit_db, messages: list[str]) -> None:
    """Store the messages as rejections: too_large under a 10-byte metadata limit."""
    strict = configure_subscriber(monkeypatch, audit_db.database, MAX_METADATA_BYTES="10")
    response = strict.invoke(messages)
    assert response == {"batchItemFailures": []}
    assert rejected_rows(audit_db) == [("too_large", 1)] * len(messages)


def test_rejected_list_and_inspect(subscriber, audit_db, monkeypatch):
    messages = distinct_bodies(2, "shown")
    reject_for_size(subscriber, monkeypatch, audit_db, messages)
    url = database_url(audit_db)
    row_id = audit_db.scalar(
        "SELECT id FROM audit.rejected_events WHERE raw_body = :body", body=messages[0]
    )

    list_code, listing = run("rejected", "list", "--database-url", url, "--reason", "too_large")
    inspect_code, shown = run("rejected", "inspect", "--database-url", url, str(row_id))
    missing_code, _ = run("rejected", "inspect", "--database-url", url, "0")

    assert list_code == 0
    assert listing.count("too_large") == 2
    assert listing.endswith("2 rejected row(s) match\n")
    assert inspect_code == 0
    assert json.loads(shown)["raw_body"] == messages[0]
    assert missing_code == 1


def test_rejected_redrive_after_fix(subscriber, audit_db, sqs_client, aws_resources, monkeypatch):
    messages = distinct_bodies(12, "fixed")
    reject_for_size(subscriber, monkeypatch, audit_db, messages)
    arguments = [
        "rejected",
        "redrive",
        "--database-url",
        database_url(audit_db),
        "--endpoint-url",
        aws_resources.endpoint_url,
        "--queue-url",
        aws_resources.queue_url,
        "--reason",
        "too_large",
    ]

    dry_code, dry_output = run(*arguments)
    dry_queue = count_messages(sqs_client, aws_resources.queue_url)
    dry_rows = rejected_rows(audit_db)
    monkeypatch.delenv("MAX_METADATA_BYTES")
    fixed = configure_subscriber(monkeypatch, audit_db.database)
    code, output = run(*arguments, "--apply")
    sent_bodies = received_bodies(sqs_client, aws_resources.queue_url)
    rows_after_send = rejected_rows(audit_db)
    response = fixed.invoke(sent_bodies)

    assert dry_code == 0
    assert dry_output.startswith("dry run: would send 12 rejected bodies")
    assert dry_queue == 0
    assert dry_rows == [("too_large", 1)] * 12
    assert code == 0
    assert output == (
        "selected 12 rejected bodies: sent 12, removed 12, kept because changed 0, failed 0"
        " (too_large=12)\n"
    )
    assert sent_bodies == sorted(messages)
    assert rows_after_send == []
    assert response == {"batchItemFailures": []}
    assert audit_db.scalar("SELECT count(*) FROM audit.events") == 12


def test_rejected_again_comes_back(subscriber, audit_db, sqs_client, aws_resources, monkeypatch):
    messages = distinct_bodies(3, "unfixed")
    reject_for_size(subscriber, monkeypatch, audit_db, messages)
    still_strict = configure_subscriber(monkeypatch, audit_db.database, MAX_METADATA_BYTES="10")
    poller = make_poller(sqs_client, aws_resources, still_strict.handler.lambda_handler)

    code, _ = run(
        "rejected",
        "redrive",
        "--apply",
        "--database-url",
        database_url(audit_db),
        "--endpoint-url",
        aws_resources.endpoint_url,
        "--queue-url",
        aws_resources.queue_url,
    )
    drain(poller, sqs_client, aws_resources)

    # Redriven before the fix: rejected again, so the rows are back, counted once each.
    assert code == 0
    assert rejected_rows(audit_db) == [("too_large", 1)] * 3
    assert audit_db.scalar("SELECT count(*) FROM audit.events") == 0


class RejectsDuringSend:
    """An SQS client whose sends bump seen_count first, as a concurrent rejection would."""

    def __init__(self, sqs, audit_db) -> None:
        self.sqs = sqs
        self.audit_db = audit_db

    def send_message_batch(self, **request):
        self.audit_db.execute("UPDATE audit.rejected_events SET seen_count = seen_count + 1")
        return self.sqs.send_message_batch(**request)


def test_rejected_row_changed_meanwhile_is_kept(
    subscriber, audit_db, sqs_client, aws_resources, monkeypatch
):
    reject_for_size(subscriber, monkeypatch, audit_db, distinct_bodies(2, "raced"))
    connection = connect(database_url(audit_db))
    try:
        counts = redrive_rejected(
            connection,
            RejectsDuringSend(sqs_client, audit_db),
            aws_resources.queue_url,
            Selection(),
            apply=True,
            progress=Progress("test", 2, enabled=False),
        )
    finally:
        connection.close()

    assert counts.sent == 2
    assert counts.removed == 0
    assert counts.kept_changed == 2
    assert rejected_rows(audit_db) == [("too_large", 2)] * 2


def test_url_without_password_is_named(audit_db, monkeypatch, caplog):
    monkeypatch.delenv("PGPASSWORD", raising=False)
    database = audit_db.database
    url = f"postgresql://{database.redriver.user}@{database.host}:{database.port}/{database.name}"

    status = main(["rejected", "list", "--database-url", url], out=io.StringIO())

    assert status == 2
    assert "--database-url has no password" in caplog.text
