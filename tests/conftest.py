"""Fixtures shared by the whole suite: a real PostgreSQL cluster and databases in it."""

from __future__ import annotations

import itertools
import logging
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pg8000.native
import pytest
from hypothesis import HealthCheck, settings
from local_database import AuditDatabase, Credentials, prepare_database
from localaws import (
    LocalAws,
    ResourceNames,
    Resources,
    delete_resources,
    dummy_aws_environment,
    provision,
)
from localpg import Connection, LocalPostgres, free_port
from samples import sqs_event

from subscriber.config import SERVICE_NAME

# Hypothesis profiles: "ci" keeps make test fast; make fuzz selects "fuzz" through
# HYPOTHESIS_PROFILE. Tests that set max_examples themselves keep their own count.
settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile("fuzz", settings.get_profile("ci"), max_examples=2_000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

_database_numbers = itertools.count(1)
LONG_RETENTION = {"retentionInterval": "5000 days"}


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[LocalPostgres]:
    """One throwaway PostgreSQL 15 cluster (pg_cron preloaded) for the test session."""
    cluster = LocalPostgres()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def empty_database(pg_cluster: LocalPostgres) -> Iterator[Connection]:
    """A new, empty database in the session cluster, dropped after the test.

    pg_cron can only be created in the cluster's cron.database_name, so
    migrations that schedule jobs need the ``audit`` database instead.
    """
    name = f"test_{next(_database_numbers)}"
    pg_cluster.psql(f'CREATE DATABASE "{name}"')
    base = pg_cluster.connection
    try:
        yield Connection(base.host, base.port, name, base.user, base.password)
    finally:
        pg_cluster.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- The migrated audit database ------------------------------------------------


class TestDatabase:
    """The session's migrated database, with query helpers for assertions."""

    def __init__(self, database: AuditDatabase) -> None:
        self.database = database
        self.writer = database.writer
        self.reader = database.reader
        self.superuser = database.superuser
        self._connection = pg8000.native.Connection(
            database.superuser.user,
            host=database.host,
            port=database.port,
            database=database.name,
            password=database.superuser.password,
        )

    def connect_as(self, credentials: Credentials):
        return self.database.connect_as(credentials)

    def execute(self, sql: str, **params: object) -> None:
        self._connection.run(sql, **params)

    def row(self, sql: str, **params: object) -> list:
        rows = self._connection.run(sql, **params)
        assert len(rows) == 1, f"expected one row, got {len(rows)}"
        return rows[0]

    def execute_all(self, sql: str, **params: object) -> list:
        return self._connection.run(sql, **params)

    def scalar(self, sql: str, **params: object) -> object:
        return self.row(sql, **params)[0]

    def close(self) -> None:
        self._connection.close()


@pytest.fixture(scope="session")
def migrated_database(pg_cluster: LocalPostgres) -> Iterator[TestDatabase]:
    # A retention long enough to keep the CloudTrail samples, which go back to 2014.
    database = TestDatabase(prepare_database(pg_cluster, placeholders=LONG_RETENTION))
    try:
        yield database
    finally:
        database.close()


@pytest.fixture
def audit_db(migrated_database: TestDatabase) -> TestDatabase:
    """The migrated database, emptied of events, rejections and duplicates."""
    migrated_database.execute(
        "TRUNCATE audit.events, audit.rejected_events, audit.duplicate_deliveries"
    )
    return migrated_database


@pytest.fixture
def unused_port() -> int:
    return free_port()


class SubscriberUnderTest:
    """The subscriber's Lambda handler, configured for the test database."""

    def __init__(self) -> None:
        from subscriber import handler

        self.handler = handler
        self._replaced_streams: list[tuple[logging.StreamHandler, object]] = []

    def reset(self) -> None:
        """Forget cached settings and the connection, so changed variables take effect."""
        if self.handler.store.cache_info().currsize:
            self.handler.store().close()
        self.handler.settings.cache_clear()
        self.handler.store.cache_clear()

    def log_to_stdout(self) -> None:
        """Send the subscriber's JSON log lines to the current sys.stdout (capsys's, in a test).

        Powertools binds its handler to the sys.stdout of import time, which
        pytest's capsys does not capture.
        """
        for log_handler in logging.getLogger(SERVICE_NAME).handlers:
            if isinstance(log_handler, logging.StreamHandler):
                self._replaced_streams.append((log_handler, log_handler.setStream(sys.stdout)))

    def restore_log_streams(self) -> None:
        while self._replaced_streams:
            log_handler, stream = self._replaced_streams.pop()
            log_handler.stream = stream  # setStream would flush the closed capture first

    def invoke(self, bodies: list[str]) -> dict:
        return self.handler.lambda_handler(sqs_event(bodies), LambdaContext())


@dataclass
class LambdaContext:
    function_name: str = "audit-subscriber"
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:audit-subscriber"
    memory_limit_in_mb: int = 512
    aws_request_id: str = "00000000-0000-4000-8000-000000000000"
    log_group_name: str = "/aws/lambda/audit-subscriber"
    log_stream_name: str = "test"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def subscriber_environment(database: AuditDatabase, **overrides: str) -> dict[str, str]:
    """Return the subscriber's environment variables for writing to ``database``."""
    return {
        **database.environment(database.writer),
        "AWS_ACCOUNT_TENANTS": '{"999999999999": "tenant-nine", "*": "platform"}',
        "POWERTOOLS_METRICS_NAMESPACE": "AuditLog",
        **overrides,
    }


def configure_subscriber(
    monkeypatch: pytest.MonkeyPatch, database: AuditDatabase, **overrides: str
) -> SubscriberUnderTest:
    """Point the subscriber at ``database`` and return it with nothing cached."""
    for name, value in subscriber_environment(database, **overrides).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DB_SECRET_ARN", raising=False)
    under_test = SubscriberUnderTest()
    under_test.reset()
    return under_test


@pytest.fixture
def subscriber(
    audit_db: TestDatabase, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SubscriberUnderTest]:
    under_test = configure_subscriber(monkeypatch, audit_db.database)
    try:
        yield under_test
    finally:
        under_test.restore_log_streams()
        under_test.reset()


# -- AWS emulator ---------------------------------------------------------------------------
# A moto server on a free port for the whole session, or the emulator at AWS_ENDPOINT_URL
# when that is set (LocalStack in CI, for example). Each test gets its own bus, rules and
# queues, so tests never see each other's messages.


@pytest.fixture(scope="session")
def local_aws() -> Iterator[LocalAws]:
    """The session's AWS emulator, with dummy credentials set for everything in the tests."""
    saved = {name: os.environ.get(name) for name in dummy_aws_environment()}
    os.environ.update(dummy_aws_environment())
    emulator = LocalAws(port=free_port())
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="session")
def sqs_client(local_aws: LocalAws) -> Any:
    return local_aws.client("sqs")


@pytest.fixture(scope="session")
def events_client(local_aws: LocalAws) -> Any:
    return local_aws.client("events")


@pytest.fixture
def provision_aws(local_aws: LocalAws) -> Iterator[Callable[..., Resources]]:
    """A factory: ``provision_aws(max_receive_count=2, ...)`` creates uniquely named resources.

    Everything it created is deleted after the test.
    """
    created: list[Resources] = []

    def make(**settings: Any) -> Resources:
        assert local_aws.endpoint_url is not None
        resources = provision(local_aws.endpoint_url, ResourceNames.unique(), **settings)
        created.append(resources)
        return resources

    yield make
    for resources in created:
        delete_resources(resources)


@pytest.fixture
def aws_resources(provision_aws: Callable[..., Resources]) -> Resources:
    """Uniquely named bus, rules, queue and DLQ, with a 1 s visibility timeout for quick retries."""
    return provision_aws(visibility_timeout_seconds=1)


# -- The GraphQL API ---------------------------------------------------------------------------

CURSOR_SECRET = "test-cursor-secret-0123456789abcdef0123456789"


@pytest.fixture
def api_environment(audit_db: TestDatabase, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Point the GraphQL API at the test database as the reader role; return the variables."""
    from graphql_api import context

    database = audit_db.database
    environment = {
        **database.environment(database.reader),
        "ENVIRONMENT": "dev",
        "CURSOR_SECRET": CURSOR_SECRET,
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DB_SECRET_ARN", raising=False)
    monkeypatch.delenv("CURSOR_SECRET_ARN", raising=False)
    context.reset()
    # Read now, so that fixtures which later set the subscriber's DB_* variables
    # do not change the API's database role.
    context.settings()
    yield environment
    context.reset()


@pytest.fixture
def insert_events(audit_db: TestDatabase) -> Callable[[list[dict[str, Any]]], None]:
    """Insert rows into audit.events directly, as the superuser; unset columns get defaults."""

    def insert(rows: list[dict[str, Any]]) -> None:
        for row in rows:
            values = {
                "source": "com.example.test",
                "detail_type": "Audit Event",
                "action": "user.created",
                "outcome": "success",
                "actor_type": "user",
                "actor_id": "user-1",
                "original": "{}",
                **row,
            }
            columns = ", ".join(values)
            placeholders = ", ".join(
                f"CAST(:{name} AS {_COLUMN_TYPES.get(name, 'text')})" for name in values
            )
            audit_db.execute(
                f"INSERT INTO audit.events ({columns}, content_sha256)"
                f" VALUES ({placeholders}, sha256(convert_to(CAST(:event_id AS text), 'UTF8')))",
                **values,
            )

    return insert


_COLUMN_TYPES = {
    "occurred_at": "timestamptz",
    "changes": "jsonb",
    "context": "jsonb",
    "metadata": "jsonb",
    "original": "jsonb",
}
