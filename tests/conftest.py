"""Fixtures shared by the whole suite: a real PostgreSQL cluster and databases in it."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pg8000.native
import pytest
from localpg import Connection, LocalPostgres

_database_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[LocalPostgres]:
    """One throwaway PostgreSQL 15 cluster (pg_cron preloaded) for the test session."""
    cluster = LocalPostgres()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


def connect(connection: Connection, database: str | None = None) -> pg8000.native.Connection:
    """Open a pg8000 connection as the cluster's superuser."""
    return pg8000.native.Connection(
        connection.user,
        host=connection.host,
        port=connection.port,
        database=database or connection.database,
        password=connection.password,
    )


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


# -- AWS emulator ---------------------------------------------------------------------------
# A moto server on a free port for the whole session, or the emulator at AWS_ENDPOINT_URL
# when that is set (LocalStack in CI, for example). Each test gets its own bus, rules and
# queues, so tests never see each other's messages.

import os  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

from localaws import (  # noqa: E402
    LocalAws,
    ResourceNames,
    Resources,
    delete_resources,
    dummy_aws_environment,
    free_port,
    provision,
)


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
