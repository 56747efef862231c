"""Migrations, pg_partman partitions, maintenance and retention on a cluster of their own.

These tests change pg_partman's configuration and drop partitions, so they
get a dedicated cluster instead of the shared one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pg8000.native
import pytest
from local_database import AuditDatabase, prepare_database
from localpg import LocalPostgres

pytestmark = pytest.mark.integration

MIGRATION_VERSIONS = [
    str(version)
    for version in sorted(
        int(path.name[1:].split("__")[0])
        for path in (Path(__file__).parents[2] / "flyway" / "sql").glob("V*__*.sql")
    )
]

INSERT_AT = (
    "INSERT INTO audit.events (tenant_id, event_id, occurred_at, source, detail_type, action,"
    " outcome, actor_type, actor_id, original, content_sha256)"
    " VALUES ('t', :event_id, CAST(:occurred_at AS timestamptz), 's', 'd', 'a.b', 'success',"
    " 'user', 'u', '{}', sha256('x'))"
)


@pytest.fixture(scope="module")
def partitioned() -> Iterator[AuditDatabase]:
    cluster = LocalPostgres()
    cluster.start()
    try:
        # A client far from UTC runs the migrations; boundaries must still be UTC.
        yield prepare_database(cluster, session_time_zone="America/Los_Angeles")
    finally:
        cluster.stop()


@pytest.fixture
def superuser(partitioned: AuditDatabase) -> Iterator[pg8000.native.Connection]:
    with partitioned.connect_as(partitioned.superuser) as connection:
        connection.run("SET TimeZone = 'UTC'")
        yield connection


def partition_bounds(connection: pg8000.native.Connection) -> dict[str, str]:
    rows = connection.run(
        "SELECT partition.relname, pg_get_expr(partition.relpartbound, partition.oid)"
        " FROM pg_inherits JOIN pg_class AS partition ON partition.oid = pg_inherits.inhrelid"
        " WHERE pg_inherits.inhparent = 'audit.events'::regclass"
    )
    return dict(rows)


def test_migrations_recorded_once(partitioned, superuser):
    history = superuser.run(
        "SELECT version, success FROM flyway_schema_history ORDER BY installed_rank"
    )

    applied_again = partitioned.migrate()

    assert [version for version, _ in history] == MIGRATION_VERSIONS
    assert all(success for _, success in history)
    assert applied_again == 0
    assert superuser.run("SELECT count(*) FROM flyway_schema_history")[0][0] == len(history)


def test_partition_boundaries_are_utc_midnight(superuser):
    bounds = [bound for bound in partition_bounds(superuser).values() if bound != "DEFAULT"]

    pattern = re.compile(
        r"FOR VALUES FROM \('\d{4}-\d{2}-01 00:00:00\+00'\) TO \('\d{4}-\d{2}-01 00:00:00\+00'\)"
    )
    assert len(bounds) >= 10
    assert all(pattern.fullmatch(bound) for bound in bounds), bounds


def test_partitions_cover_retention_and_premake(superuser):
    now = datetime.now(UTC)

    covered = superuser.run(
        "SELECT bool_and(EXISTS (SELECT 1 FROM partman.show_partition_name('audit.events',"
        " moment::text) WHERE table_exists))"
        " FROM unnest(CAST(:moments AS timestamptz[])) AS moment",
        moments=[(now + timedelta(days=days)).isoformat() for days in (-179, -30, 0, 31, 92, 120)],
    )[0][0]

    assert covered is True


def test_default_partition_exists(superuser):
    assert "DEFAULT" in partition_bounds(superuser).values()


def test_maintenance_job_scheduled(superuser):
    jobs = superuser.run(
        "SELECT schedule, command, database FROM cron.job"
        " WHERE jobname = 'audit-partition-maintenance'"
    )

    assert jobs == [["17 * * * *", "CALL audit.run_maintenance()", "audit"]]


def test_far_past_and_future_events_survive_maintenance(superuser):
    far_future = "9999-12-31T23:59:59.999999Z"
    near_future = (datetime.now(UTC) + timedelta(days=200)).replace(day=15).isoformat()
    superuser.run(INSERT_AT, event_id="far-future", occurred_at=far_future)
    superuser.run(INSERT_AT, event_id="near-future", occurred_at=near_future)
    superuser.run(INSERT_AT, event_id="year-one", occurred_at="0001-01-01T00:00:00Z")
    # Premaking further ahead makes maintenance create the partition that must
    # take the near-future row out of the default partition.
    superuser.run("UPDATE partman.part_config SET premake = 9 WHERE parent_table = 'audit.events'")
    try:
        superuser.run("BEGIN")
        with pytest.raises(pg8000.native.DatabaseError, match="would be violated by some row"):
            superuser.run("SELECT partman.run_maintenance(p_parent_table := 'audit.events')")
        superuser.run("ROLLBACK")

        superuser.run("CALL audit.run_maintenance()")
        superuser.run("CALL audit.run_maintenance()")
        placement = dict(
            superuser.run("SELECT event_id, tableoid::regclass::text FROM audit.events")
        )
    finally:
        superuser.run("DELETE FROM audit.events")
        superuser.run(
            "UPDATE partman.part_config SET premake = 4 WHERE parent_table = 'audit.events'"
        )

    assert placement["far-future"] == "audit.events_default"
    assert placement["near-future"] not in ("audit.events_default", None)
    # Year 1 is far older than the retention interval, so maintenance deletes it.
    assert "year-one" not in placement


def test_retention_drops_old_partition(superuser):
    old = (datetime.now(UTC) - timedelta(days=150)).isoformat()
    superuser.run(INSERT_AT, event_id="old", occurred_at=old)
    old_partition = superuser.run("SELECT tableoid::regclass::text FROM audit.events")[0][0]
    superuser.run(
        "UPDATE partman.part_config SET retention = '90 days' WHERE parent_table = 'audit.events'"
    )
    try:
        superuser.run("CALL audit.run_maintenance()")
        remaining = superuser.run("SELECT count(*) FROM audit.events")[0][0]
        exists = superuser.run("SELECT to_regclass(:name) IS NOT NULL", name=old_partition)[0][0]
    finally:
        superuser.run(
            "UPDATE partman.part_config SET retention = '180 days'"
            " WHERE parent_table = 'audit.events'"
        )

    assert old_partition != "audit.events_default"
    assert remaining == 0
    assert exists is False


def test_retention_default_is_180_days(superuser):
    config = superuser.run(
        "SELECT retention, retention_keep_table, infinite_time_partitions, partition_interval"
        " FROM partman.part_config WHERE parent_table = 'audit.events'"
    )

    assert config == [["180 days", False, True, "1 mon"]]
