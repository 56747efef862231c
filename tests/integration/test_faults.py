"""Faults in the middle of ingestion: no event lost, none stored twice.

PostgreSQL is stopped, crashed and restarted under a batch, the subscriber's
connection is killed, the subscriber process is killed during its write and
after its commit, and the AWS emulator is restarted under the poller. Each
test then lets SQS redeliver what failed and counts every event in the
database.

The tests that stop PostgreSQL or moto start their own, so the session's
cluster and emulator are never touched.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pg8000.native
import pytest
from conftest import (
    LONG_RETENTION,
    SubscriberUnderTest,
    configure_subscriber,
    subscriber_environment,
)
from local_database import AuditDatabase, prepare_database
from localaws import (
    LocalAws,
    ResourceNames,
    Resources,
    count_messages,
    provision,
    wait_until_drained,
)
from localpg import LocalPostgres, free_port
from queue_support import drain, make_poller, send
from samples import distinct_bodies

from subscriber.config import SERVICE_NAME

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


# -- helpers ---------------------------------------------------------------------------------


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.05)


class Counts:
    """What the database holds, read as the superuser."""

    def __init__(self, database: AuditDatabase) -> None:
        self.database = database

    def __call__(self) -> dict[str, int]:
        with self.database.connect_as(self.database.superuser) as connection:
            return {
                "stored": connection.run("SELECT count(*) FROM audit.events")[0][0],
                "distinct keys": connection.run(
                    "SELECT count(DISTINCT (tenant_id, event_id)) FROM audit.events"
                )[0][0],
                "duplicates": connection.run(
                    "SELECT coalesce(sum(seen_count), 0) FROM audit.duplicate_deliveries"
                )[0][0],
                "rejected": connection.run(
                    "SELECT coalesce(sum(seen_count), 0) FROM audit.rejected_events"
                )[0][0],
            }


def subscriber_backend_waiting(database: AuditDatabase) -> Callable[[], bool]:
    """Return a check: is a subscriber's statement waiting for a lock?"""

    def waiting() -> bool:
        with database.connect_as(database.superuser) as connection:
            rows = connection.run(
                "SELECT 1 FROM pg_stat_activity"
                " WHERE application_name = :name AND wait_event_type = 'Lock'",
                name=SERVICE_NAME,
            )
        return bool(rows)

    return waiting


def subscriber_backends(database: AuditDatabase) -> int:
    with database.connect_as(database.superuser) as connection:
        return connection.run(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name",
            name=SERVICE_NAME,
        )[0][0]


class TableLock:
    """Hold ACCESS EXCLUSIVE on audit.events, so the subscriber's INSERT waits mid-batch."""

    def __init__(self, database: AuditDatabase) -> None:
        self.connection = pg8000.native.Connection(
            database.superuser.user,
            host=database.host,
            port=database.port,
            database=database.name,
            password=database.superuser.password,
        )
        self.connection.run("BEGIN")
        self.connection.run("LOCK TABLE audit.events IN ACCESS EXCLUSIVE MODE")

    def release(self) -> None:
        try:
            self.connection.run("ROLLBACK")
            self.connection.close()
        except (pg8000.native.InterfaceError, OSError):
            pass  # the server went away with the lock


# -- a PostgreSQL cluster of this module's own ---------------------------------------------


@pytest.fixture(scope="module")
def restartable() -> Iterator[tuple[LocalPostgres, AuditDatabase]]:
    """A cluster these tests may stop, crash and restart, with the migrated database.

    It is durable: the other local clusters turn off fsync and synchronous_commit,
    so a crash there loses commits that the client saw succeed.
    """
    cluster = LocalPostgres(durable=True)
    cluster.start()
    try:
        yield cluster, prepare_database(cluster, placeholders=LONG_RETENTION)
    finally:
        cluster.stop()


@pytest.fixture
def own_database(restartable) -> AuditDatabase:
    cluster, database = restartable
    if not cluster.running:
        cluster.start()
    with database.connect_as(database.superuser) as connection:
        connection.run("TRUNCATE audit.events, audit.rejected_events, audit.duplicate_deliveries")
    return database


# A short connect timeout, so that a batch sent while PostgreSQL is down fails fast.
FAULT_SETTINGS = {"DB_CONNECT_TIMEOUT_SECONDS": "2"}


@pytest.fixture
def own_subscriber(own_database, monkeypatch) -> Iterator[SubscriberUnderTest]:
    """The subscriber's handler, in this process, writing to the module's cluster."""
    under_test = configure_subscriber(monkeypatch, own_database, **FAULT_SETTINGS)
    try:
        yield under_test
    finally:
        under_test.reset()


# -- PostgreSQL stopped under a batch ------------------------------------------------------


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_database_stopped_mid_batch(
    restartable, own_database, own_subscriber, sqs_client, aws_resources, mode
):
    cluster, database = restartable
    messages = distinct_bodies(25, f"stop-{mode}")
    send(sqs_client, aws_resources.queue_url, messages)
    poller = make_poller(sqs_client, aws_resources, own_subscriber.handler.lambda_handler)
    lock = TableLock(database)
    first = threading.Thread(target=poller.poll_once)
    first.start()
    wait_for(subscriber_backend_waiting(database), 20, "the batch to wait for the lock")

    cluster.stop(remove=False, mode=mode)
    first.join(timeout=30)
    lock.release()
    cluster.start()
    drain(poller, sqs_client, aws_resources)

    stats = poller.stats()
    assert not first.is_alive()
    assert stats.failed == 10
    assert stats.deleted == 25
    assert Counts(database)() == {
        "stored": 25,
        "distinct keys": 25,
        "duplicates": 0,
        "rejected": 0,
    }
    assert count_messages(sqs_client, aws_resources.dlq_url) == 0


# -- the subscriber's connection killed ------------------------------------------------------


def test_connection_killed_mid_batch_is_retried(own_subscriber, own_database):
    own_subscriber.invoke(distinct_bodies(3, "warm"))
    lock = TableLock(own_database)
    results: list[dict] = []
    batch = threading.Thread(
        target=lambda: results.append(own_subscriber.invoke(distinct_bodies(10, "killed")))
    )
    batch.start()
    wait_for(subscriber_backend_waiting(own_database), 20, "the batch to wait for the lock")

    with own_database.connect_as(own_database.superuser) as connection:
        killed = connection.run(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = :name",
            name=SERVICE_NAME,
        )[0][0]
    lock.release()
    batch.join(timeout=30)

    # The dead connection was reused from an earlier invocation, so the handler
    # reconnected and settled the batch in the same invocation.
    assert killed == 1
    assert results == [{"batchItemFailures": []}]
    assert Counts(own_database)() == {
        "stored": 13,
        "distinct keys": 13,
        "duplicates": 0,
        "rejected": 0,
    }


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_reconnects_after_failover_restart(restartable, own_database, own_subscriber, mode):
    cluster, database = restartable
    first = own_subscriber.invoke(distinct_bodies(5, f"before-{mode}"))

    cluster.restart(mode=mode)
    second = own_subscriber.invoke(distinct_bodies(5, f"after-{mode}"))

    assert first == {"batchItemFailures": []}
    assert second == {"batchItemFailures": []}
    assert Counts(database)() == {"stored": 10, "distinct keys": 10, "duplicates": 0, "rejected": 0}


def test_reconnects_after_idle_connection_killed(own_subscriber, own_database):
    first = own_subscriber.invoke(distinct_bodies(5, "idle-before"))
    with own_database.connect_as(own_database.superuser) as connection:
        killed = connection.run(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = :name",
            name=SERVICE_NAME,
        )[0][0]
    second = own_subscriber.invoke(distinct_bodies(5, "idle-after"))

    # The warm connection was dead when the second batch came, so the handler
    # reopened it without failing a record.
    assert killed == 1
    assert first == {"batchItemFailures": []}
    assert second == {"batchItemFailures": []}
    assert Counts(own_database)() == {
        "stored": 10,
        "distinct keys": 10,
        "duplicates": 0,
        "rejected": 0,
    }


def test_database_down_then_back(restartable, own_database, own_subscriber):
    cluster, database = restartable
    messages = distinct_bodies(4, "outage")
    own_subscriber.invoke(distinct_bodies(1, "warm"))

    cluster.stop(remove=False)
    try:
        during = own_subscriber.invoke(messages)
    finally:
        cluster.start()
    after = own_subscriber.invoke(messages)

    assert [item["itemIdentifier"] for item in during["batchItemFailures"]] == [
        f"m-{number}" for number in range(4)
    ]
    assert after == {"batchItemFailures": []}
    assert Counts(database)() == {"stored": 5, "distinct keys": 5, "duplicates": 0, "rejected": 0}


# -- the subscriber process killed -----------------------------------------------------------


def start_poller_process(
    database: AuditDatabase, resources: Resources, handler: str, log: Path, **more: str
) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        **subscriber_environment(database, **FAULT_SETTINGS),
        "PYTHONPATH": os.pathsep.join(
            str(path)
            for path in (
                ROOT / "functions" / "common",
                ROOT / "functions" / "subscriber",
                ROOT / "scripts",
                ROOT / "tests",
            )
        ),
        **more,
    }
    with log.open("ab") as output:
        return subprocess.Popen(
            [
                sys.executable, str(ROOT / "scripts" / "poller.py"),
                "--queue-url", resources.queue_url,
                "--queue-arn", resources.queue_arn,
                "--handler", handler,
                "--batch-size", "10",
                "--endpoint-url", resources.endpoint_url,
            ],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )  # fmt: skip


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def kill_when(process: subprocess.Popen[bytes], condition: Callable[[], bool], what: str) -> None:
    """Wait up to 30 s for ``condition``, then SIGKILL the process, as a crash would end it."""
    try:
        wait_for(condition, 30, what)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        stop_process(process)


def run_until_drained(database: AuditDatabase, resources: Resources, sqs: Any, log: Path) -> None:
    """Run a fresh subscriber process until the queue is empty, then stop it."""
    process = start_poller_process(database, resources, "subscriber.handler:lambda_handler", log)
    try:
        wait_until_drained(sqs, resources.queue_url, timeout_seconds=60, consecutive_checks=5)
    finally:
        stop_process(process)
    assert process.returncode == 0, log.read_text()


def test_process_killed_during_bulk_write(own_database, sqs_client, aws_resources, tmp_path):
    log = tmp_path / "subscriber.log"
    send(sqs_client, aws_resources.queue_url, distinct_bodies(10, "write"))
    lock = TableLock(own_database)
    process = start_poller_process(
        own_database, aws_resources, "subscriber.handler:lambda_handler", log
    )
    try:
        kill_when(
            process, subscriber_backend_waiting(own_database), "the batch to wait for the lock"
        )
    finally:
        lock.release()
    # The server notices the client is gone once the lock is free, and rolls back.
    wait_for(lambda: subscriber_backends(own_database) == 0, 20, "the killed session to end")
    counts_after_kill = Counts(own_database)()

    run_until_drained(own_database, aws_resources, sqs_client, log)

    assert counts_after_kill["stored"] == 0
    assert Counts(own_database)() == {
        "stored": 10,
        "distinct keys": 10,
        "duplicates": 0,
        "rejected": 0,
    }


def test_process_killed_after_commit(own_database, sqs_client, aws_resources, tmp_path):
    log = tmp_path / "subscriber.log"
    marker = tmp_path / "committed"
    send(sqs_client, aws_resources.queue_url, distinct_bodies(10, "commit"))
    process = start_poller_process(
        own_database,
        aws_resources,
        "fault_handlers:hang_after_commit",
        log,
        FAULT_MARKER=str(marker),
    )
    kill_when(process, marker.exists, "the first batch to commit")
    counts_after_kill = Counts(own_database)()

    run_until_drained(own_database, aws_resources, sqs_client, log)

    # The batch was committed but never deleted from the queue: SQS delivered it
    # again, and the second delivery counts every event as a duplicate.
    assert counts_after_kill["stored"] == 10
    assert Counts(own_database)() == {
        "stored": 10,
        "distinct keys": 10,
        "duplicates": 10,
        "rejected": 0,
    }


# -- the AWS emulator restarted under the poller -------------------------------------------


class GatedHandler:
    """The subscriber's handler, made to wait inside one batch when `hold` is set."""

    def __init__(self, handler: Any) -> None:
        self.handler = handler
        self.hold = threading.Event()
        self.holding = threading.Event()
        self.release = threading.Event()

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        response = self.handler(event, context)
        if self.hold.is_set():
            self.hold.clear()
            self.holding.set()
            self.release.wait(timeout=60)
        return response


def test_emulator_restart_under_poller(own_database, own_subscriber, monkeypatch, tmp_path):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    port = free_port()
    names = ResourceNames.unique("restart")
    emulator = LocalAws(port, log_path=tmp_path / "moto.log", use_environment_endpoint=False)
    resources = provision(emulator.start(), names, visibility_timeout_seconds=1)
    sqs = emulator.client("sqs")
    handler = GatedHandler(own_subscriber.handler.lambda_handler)
    poller = make_poller(sqs, resources, handler)
    stop = threading.Event()
    thread = poller.start(stop)
    first, second, third = (
        distinct_bodies(10, "a"),
        distinct_bodies(10, "b"),
        distinct_bodies(10, "c"),
    )
    try:
        send(sqs, resources.queue_url, first)
        wait_until_drained(sqs, resources.queue_url, timeout_seconds=30, idle=lambda: poller.idle)

        # A batch is in the handler, already stored, when the emulator goes away.
        # Its delete fails, and the restarted emulator has lost every message.
        handler.hold.set()
        send(sqs, resources.queue_url, second)
        assert handler.holding.wait(timeout=30)
        emulator.stop()
        handler.release.set()
        time.sleep(1)
        emulator = LocalAws(port, log_path=tmp_path / "moto.log", use_environment_endpoint=False)
        restarted = provision(emulator.start(), names, visibility_timeout_seconds=1)
        # The publishers send again what the lost emulator never confirmed, and more.
        send(sqs, restarted.queue_url, [*second, *third])
        wait_until_drained(sqs, restarted.queue_url, timeout_seconds=60, idle=lambda: poller.idle)
    finally:
        stop.set()
        thread.join(timeout=30)
        emulator.stop()

    stored = Counts(own_database)()
    assert restarted.queue_url == resources.queue_url
    assert not thread.is_alive()
    assert stored == {"stored": 30, "distinct keys": 30, "duplicates": 10, "rejected": 0}
