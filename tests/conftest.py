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
