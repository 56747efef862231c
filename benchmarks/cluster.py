"""The benchmarks' PostgreSQL: a throwaway local cluster, migrated as for the service."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path

from local_database import AuditDatabase, prepare_database
from localpg import LocalPostgres

# The query benchmark's events span the current month and the five before it,
# so partitions must reach back about 215 days whatever the day of the month;
# 220 days of retention gives pg_partman's first partition that reach.
PLACEHOLDERS = {"retentionInterval": "220 days"}


# Set on top of scripts/localpg.py's settings (fsync, synchronous_commit and
# full_page_writes off): a buffer cache nearer a database server's than the
# default 128 MB, and fewer checkpoints while the query data is generated.
SERVER_SETTINGS = {"shared_buffers": "2GB", "max_wal_size": "8GB"}


@contextlib.contextmanager
def bench_database(data_dir: Path | None = None) -> Iterator[tuple[LocalPostgres, AuditDatabase]]:
    """Start a local cluster, migrate it and yield it with its roles; remove it afterwards."""
    cluster = LocalPostgres(data_dir)
    cluster.start()
    try:
        for name, value in SERVER_SETTINGS.items():
            cluster.psql(f"ALTER SYSTEM SET {name} = '{value}'")
        cluster.restart()
        yield cluster, prepare_database(cluster, placeholders=PLACEHOLDERS)
    finally:
        cluster.stop(remove=True)


def settings_line() -> str:
    changed = ", ".join(f"{name} {value}" for name, value in SERVER_SETTINGS.items())
    return (
        "- PostgreSQL settings: fsync, synchronous_commit and full_page_writes off "
        f"(scripts/localpg.py), {changed}"
    )


def server_version(database: AuditDatabase) -> str:
    with database.connect_as(database.superuser) as connection:
        version = connection.run("SHOW server_version")[0][0]
        partman = connection.run(
            "SELECT extversion FROM pg_extension WHERE extname = 'pg_partman'"
        )[0][0]
    return f"PostgreSQL {version}, pg_partman {partman}"


def psql(
    cluster: LocalPostgres,
    database: AuditDatabase,
    commands: list[str],
    environment: Mapping[str, str] | None = None,
) -> str:
    """Run psql as the superuser over TCP, as the subscriber connects; return its output."""
    command = [
        str(cluster.bin_dir / "psql"),
        "--no-psqlrc",
        "--set",
        "ON_ERROR_STOP=1",
        "--host",
        database.host,
        "--port",
        str(database.port),
        "--username",
        database.superuser.user,
        "--dbname",
        database.name,
    ]
    for text in commands:
        command += ["--command", text]
    env = {**os.environ, "PGPASSWORD": database.superuser.password, **(environment or {})}
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"psql failed with exit code {result.returncode}: {result.stderr}")
    return result.stdout
