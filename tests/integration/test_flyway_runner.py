"""The local Flyway runner against a real PostgreSQL 15 database."""

from __future__ import annotations

import concurrent.futures
import datetime
import os
from collections.abc import Iterator
from pathlib import Path

import pg8000.native
import pytest
from flyway_local import (
    FlywayError,
    FlywayRunner,
    MigrationError,
    MigrationState,
    PlaceholderError,
    ValidationError,
    checksum,
    connect,
    format_info,
    main,
)
from localpg import Connection

pytestmark = pytest.mark.integration

HISTORY = "flyway_schema_history"


@pytest.fixture
def db(empty_database: Connection) -> Iterator[pg8000.native.Connection]:
    connection = connect(empty_database.url())
    try:
        yield connection
    finally:
        connection.close()


@pytest.fixture
def sql_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "sql"
    folder.mkdir()
    return folder


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def runner(db: pg8000.native.Connection, sql_dir: Path, **kwargs: object) -> FlywayRunner:
    return FlywayRunner(db, [sql_dir], **kwargs)


def history(db: pg8000.native.Connection) -> list[tuple]:
    return [
        tuple(row)
        for row in db.run(
            "SELECT installed_rank, version, description, type, script, checksum, success"
            f" FROM {HISTORY} ORDER BY installed_rank"
        )
    ]


def table_exists(db: pg8000.native.Connection, name: str) -> bool:
    return db.run("SELECT to_regclass(:name) IS NOT NULL", name=name)[0][0]


# -- history table --------------------------------------------------------------------------


def test_migrate_history_table_columns(db: pg8000.native.Connection, sql_dir: Path) -> None:
    runner(db, sql_dir).migrate()

    columns = db.run(
        "SELECT column_name, data_type, character_maximum_length, is_nullable, column_default"
        " FROM information_schema.columns"
        " WHERE table_schema = 'public' AND table_name = :table ORDER BY ordinal_position",
        table=HISTORY,
    )

    assert [tuple(column) for column in columns] == [
        ("installed_rank", "integer", None, "NO", None),
        ("version", "character varying", 50, "YES", None),
        ("description", "character varying", 200, "NO", None),
        ("type", "character varying", 20, "NO", None),
        ("script", "character varying", 1000, "NO", None),
        ("checksum", "integer", None, "YES", None),
        ("installed_by", "character varying", 100, "NO", None),
        ("installed_on", "timestamp without time zone", None, "NO", "now()"),
        ("execution_time", "integer", None, "NO", None),
        ("success", "boolean", None, "NO", None),
    ]


def test_migrate_history_table_key_and_index(db: pg8000.native.Connection, sql_dir: Path) -> None:
    runner(db, sql_dir).migrate()

    constraints = db.run(
        "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = 'public.flyway_schema_history'::regclass"
    )
    indexes = db.run(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = :table ORDER BY indexname",
        table=HISTORY,
    )

    assert [tuple(row) for row in constraints] == [
        ("flyway_schema_history_pk", "p", "PRIMARY KEY (installed_rank)")
    ]
    assert [tuple(row) for row in indexes] == [
        (
            "flyway_schema_history_pk",
            "CREATE UNIQUE INDEX flyway_schema_history_pk"
            " ON public.flyway_schema_history USING btree (installed_rank)",
        ),
        (
            "flyway_schema_history_s_idx",
            "CREATE INDEX flyway_schema_history_s_idx"
            " ON public.flyway_schema_history USING btree (success)",
        ),
    ]


def test_migrate_records_rows(db: pg8000.native.Connection, sql_dir: Path) -> None:
    first = write(sql_dir, "V1__create_events.sql", "CREATE TABLE events (id int);\n")
    second = write(sql_dir, "V1_1__add_actor.sql", "ALTER TABLE events ADD actor text;\r\n")
    view = write(sql_dir, "R__event_view.sql", "CREATE OR REPLACE VIEW v AS SELECT * FROM events;")
    before = db.run("SELECT localtimestamp")[0][0]

    applied = runner(db, sql_dir).migrate()

    after = db.run("SELECT localtimestamp")[0][0]
    rows = db.run(f"SELECT * FROM {HISTORY} ORDER BY installed_rank")
    assert applied == ["V1__create_events.sql", "V1_1__add_actor.sql", "R__event_view.sql"]
    assert [row[:5] for row in rows] == [
        [1, "1", "create events", "SQL", "V1__create_events.sql"],
        [2, "1.1", "add actor", "SQL", "V1_1__add_actor.sql"],
        [3, None, "event view", "SQL", "R__event_view.sql"],
    ]
    assert [row[5] for row in rows] == [
        checksum(first.read_bytes()),
        checksum(second.read_bytes()),
        checksum(view.read_bytes()),
    ]
    assert [row[6] for row in rows] == ["postgres"] * 3
    assert all(before <= row[7] <= after for row in rows)
    assert all(row[8] >= 0 for row in rows)
    assert [row[9] for row in rows] == [True] * 3


def test_migrate_installed_by_override(db: pg8000.native.Connection, sql_dir: Path) -> None:
    write(sql_dir, "V1__one.sql", "SELECT 1;")

    runner(db, sql_dir, installed_by="ci-pipeline").migrate()

    assert db.run(f"SELECT installed_by FROM {HISTORY}") == [["ci-pipeline"]]


def test_migrate_twice_is_noop(db: pg8000.native.Connection, sql_dir: Path) -> None:
    write(sql_dir, "V1__runs.sql", "CREATE TABLE runs (n int);\nINSERT INTO runs VALUES (1);\n")
    write(sql_dir, "R__count_runs.sql", "INSERT INTO runs VALUES (2);\n")
    flyway = runner(db, sql_dir)
    flyway.migrate()
    rows_before = db.run(f"SELECT * FROM {HISTORY} ORDER BY installed_rank")

    applied = flyway.migrate()

    assert applied == []
    assert db.run(f"SELECT * FROM {HISTORY} ORDER BY installed_rank") == rows_before
    assert db.run("SELECT n FROM runs ORDER BY n") == [[1], [2]]


# -- failures --------------------------------------------------------------------------------


def test_migrate_rejects_edited_applied_file(db: pg8000.native.Connection, sql_dir: Path) -> None:
    original = write(sql_dir, "V1__create_events.sql", "CREATE TABLE events (id int);\n")
    runner(db, sql_dir).migrate()
    applied_checksum = checksum(original.read_bytes())
    edited = write(sql_dir, "V1__create_events.sql", "CREATE TABLE events (id bigint);\n")
    write(sql_dir, "V2__create_actors.sql", "CREATE TABLE actors (id int);\n")

    with pytest.raises(ValidationError) as raised:
        runner(db, sql_dir).migrate()

    message = str(raised.value)
    assert "V1__create_events.sql" in message
    assert str(applied_checksum) in message
    assert str(checksum(edited.read_bytes())) in message
    assert "must not be edited" in message
    assert "add a new migration" in message
    assert not table_exists(db, "actors")
    assert [row[0] for row in history(db)] == [1]


def test_migrate_failure_rolls_back(db: pg8000.native.Connection, sql_dir: Path) -> None:
    write(sql_dir, "V1__create_events.sql", "CREATE TABLE events (id int);\n")
    write(
        sql_dir,
        "V2__broken.sql",
        "CREATE TABLE actors (id int);\nINSERT INTO missing VALUES (1);\n",
    )

    with pytest.raises(MigrationError) as raised:
        runner(db, sql_dir).migrate()

    message = str(raised.value)
    assert raised.value.script == "V2__broken.sql"
    assert raised.value.sqlstate == "42P01"
    assert "V2__broken.sql failed at line 2" in message
    assert 'relation "missing" does not exist' in message
    assert "SQLSTATE 42P01" in message
    assert "rolled back" in message
    assert not table_exists(db, "actors")
    assert [row[:3] for row in history(db)] == [(1, "1", "create events")]


def test_migrate_after_fixed_failure(db: pg8000.native.Connection, sql_dir: Path) -> None:
    write(sql_dir, "V1__broken.sql", "SELECT 1 / 0;\n")
    with pytest.raises(MigrationError):
        runner(db, sql_dir).migrate()
    write(sql_dir, "V1__broken.sql", "SELECT 1;\n")

    applied = runner(db, sql_dir).migrate()

    assert applied == ["V1__broken.sql"]
    assert [row[0] for row in history(db)] == [1]


def test_migrate_rejects_non_empty_schema(db: pg8000.native.Connection, sql_dir: Path) -> None:
    db.run("CREATE TABLE made_by_hand (id int)")
    write(sql_dir, "V1__create_events.sql", "CREATE TABLE events (id int);\n")

    with pytest.raises(FlywayError, match='non-empty schema "public"'):
        runner(db, sql_dir).migrate()

    assert not table_exists(db, HISTORY)


# -- placeholders ----------------------------------------------------------------------------


def test_migrate_substitutes_placeholders(db: pg8000.native.Connection, sql_dir: Path) -> None:
    script = write(
        sql_dir,
        "V1__settings.sql",
        "CREATE TABLE settings (name text, value text);\n"
        "INSERT INTO settings VALUES\n"
        "  ('interval', '${partitionInterval}'),\n"
        "  ('schedule', '${MAINTENANCESCHEDULE}'),\n"
        "  ('schema', '${flyway:defaultSchema}'),\n"
        "  ('user', '${flyway:user}'),\n"
        "  ('database', '${flyway:database}'),\n"
        "  ('table', '${flyway:table}'),\n"
        "  ('filename', '${flyway:filename}'),\n"
        "  ('cwd', '${flyway:workingDirectory}'),\n"
        "  ('timestamp', '${flyway:timestamp}');\n",
    )
    placeholders = {"partitionInterval": "1 month", "maintenanceSchedule": "17 * * * *"}

    runner(db, sql_dir, placeholders=placeholders).migrate()

    values = dict(db.run("SELECT name, value FROM settings"))
    database = db.run("SELECT current_database()")[0][0]
    assert values["interval"] == "1 month"
    assert values["schedule"] == "17 * * * *"
    assert values["schema"] == "public"
    assert values["user"] == "postgres"
    assert values["database"] == database
    assert values["table"] == HISTORY
    assert values["filename"] == "V1__settings.sql"
    assert values["cwd"] == os.getcwd()
    assert datetime.datetime.strptime(values["timestamp"], "%Y-%m-%d %H:%M:%S")
    assert history(db)[0][5] == checksum(script.read_bytes())


def test_migrate_missing_placeholder_runs_nothing(
    db: pg8000.native.Connection, sql_dir: Path
) -> None:
    write(sql_dir, "V1__create_events.sql", "CREATE TABLE events (id int);\n")
    write(sql_dir, "V2__retention.sql", "SELECT '${retentionInterval}'::interval;\n")

    with pytest.raises(PlaceholderError) as raised:
        runner(db, sql_dir).migrate()

    assert "${retentionInterval}" in str(raised.value)
    assert "V2__retention.sql" in str(raised.value)
    assert not table_exists(db, "events")
    assert not table_exists(db, HISTORY)


def test_migrate_placeholder_replacement_off(db: pg8000.native.Connection, sql_dir: Path) -> None:
    write(sql_dir, "V1__literal.sql", "CREATE TABLE t AS SELECT '${kept}' AS value;\n")
    write(sql_dir, "V1__literal.sql.conf", "placeholderReplacement=false\n")

    runner(db, sql_dir).migrate()

    assert db.run("SELECT value FROM t") == [["${kept}"]]


# -- repeatable migrations -------------------------------------------------------------------


def test_migrate_reapplies_changed_repeatable(db: pg8000.native.Connection, sql_dir: Path) -> None:
    write(sql_dir, "V1__events.sql", "CREATE TABLE events (id int, actor text);\n")
    write(sql_dir, "R__event_view.sql", "CREATE OR REPLACE VIEW v AS SELECT id FROM events;\n")
    runner(db, sql_dir).migrate()
    changed = write(
        sql_dir, "R__event_view.sql", "CREATE OR REPLACE VIEW v AS SELECT id, actor FROM events;\n"
    )

    states = [(info.script, info.state) for info in runner(db, sql_dir).info()]
    applied = runner(db, sql_dir).migrate()

    assert states == [
        ("V1__events.sql", MigrationState.SUCCESS),
        ("R__event_view.sql", MigrationState.OUTDATED),
        ("R__event_view.sql", MigrationState.PENDING),
    ]
    assert applied == ["R__event_view.sql"]
    assert [row[0] for row in history(db)] == [1, 2, 3]
    assert history(db)[2][5] == checksum(changed.read_bytes())
    assert db.run("SELECT column_name FROM information_schema.columns WHERE table_name = 'v'") == [
        ["id"],
        ["actor"],
    ]
    assert [info.state for info in runner(db, sql_dir).info()] == [
        MigrationState.SUCCESS,
        MigrationState.SUPERSEDED,
        MigrationState.SUCCESS,
    ]


def test_migrate_reapplies_repeatable_on_placeholder_change(
    db: pg8000.native.Connection, sql_dir: Path
) -> None:
    script = write(
        sql_dir, "R__label.sql", "CREATE OR REPLACE VIEW label AS SELECT '${label}' AS value;\n"
    )
    runner(db, sql_dir, placeholders={"label": "first"}).migrate()

    applied = runner(db, sql_dir, placeholders={"label": "second"}).migrate()

    checksums = [row[5] for row in history(db)]
    assert applied == ["R__label.sql"]
    assert db.run("SELECT value FROM label") == [["second"]]
    # Flyway checksums repeatable migrations after placeholder replacement.
    assert checksum(b"CREATE OR REPLACE VIEW label AS SELECT 'second' AS value;\n") == checksums[1]
    assert checksums[0] != checksums[1]
    assert checksum(script.read_bytes()) not in checksums


# -- transactions ----------------------------------------------------------------------------


def index_is_valid(db: pg8000.native.Connection, name: str) -> bool:
    rows = db.run(
        "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        " WHERE c.relname = :name",
        name=name,
    )
    return rows == [[True]]


def test_migrate_execute_in_transaction_false(db: pg8000.native.Connection, sql_dir: Path) -> None:
    write(sql_dir, "V1__events.sql", "CREATE TABLE events (id int, actor text);\n")
    write(
        sql_dir,
        "V2__index_actor.sql",
        "-- builds without blocking writes\n"
        "CREATE INDEX CONCURRENTLY events_actor_idx ON events (actor);\n"
        "CREATE INDEX CONCURRENTLY events_id_idx ON events (id);\n",
    )
    write(sql_dir, "V2__index_actor.sql.conf", "executeInTransaction=false\n")

    applied = runner(db, sql_dir).migrate()

    assert applied == ["V1__events.sql", "V2__index_actor.sql"]
    assert index_is_valid(db, "events_actor_idx")
    assert index_is_valid(db, "events_id_idx")
    assert [row[6] for row in history(db)] == [True, True]


def test_migrate_detects_concurrently_without_conf(
    db: pg8000.native.Connection, sql_dir: Path
) -> None:
    write(sql_dir, "V1__events.sql", "CREATE TABLE events (id int);\n")
    write(sql_dir, "V2__index.sql", "CREATE INDEX CONCURRENTLY events_id_idx ON events (id);\n")

    runner(db, sql_dir).migrate()

    assert index_is_valid(db, "events_id_idx")


def test_migrate_rejects_mixed_statements(db: pg8000.native.Connection, sql_dir: Path) -> None:
    write(
        sql_dir,
        "V1__mixed.sql",
        "CREATE TABLE events (id int);\nCREATE INDEX CONCURRENTLY events_id_idx ON events (id);\n",
    )

    with pytest.raises(FlywayError, match=r"both transactional and non-transactional") as raised:
        runner(db, sql_dir).migrate()

    assert "V1__mixed.sql" in str(raised.value)
    assert "line 2" in str(raised.value)
    assert not table_exists(db, "events")


def test_migrate_non_transactional_failure(db: pg8000.native.Connection, sql_dir: Path) -> None:
    write(sql_dir, "V1__events.sql", "CREATE TABLE events (id int);\n")
    write(
        sql_dir,
        "V2__indexes.sql",
        "CREATE INDEX CONCURRENTLY events_id_idx ON events (id);\n"
        "CREATE INDEX CONCURRENTLY missing_idx ON missing (id);\n",
    )

    with pytest.raises(MigrationError) as raised:
        runner(db, sql_dir).migrate()

    message = str(raised.value)
    assert raised.value.sqlstate == "42P01"
    assert "V2__indexes.sql failed at line 2" in message
    assert "installed_rank 2" in message
    assert index_is_valid(db, "events_id_idx")
    # Flyway records a failed non-transactional migration with success = false.
    assert [row[6] for row in history(db)] == [True, False]
    with pytest.raises(ValidationError, match=r"Detected failed migration version 2"):
        runner(db, sql_dir).migrate()


# -- validate and info -----------------------------------------------------------------------


def test_validate_rejects_pending(db: pg8000.native.Connection, sql_dir: Path) -> None:
    write(sql_dir, "V1__events.sql", "CREATE TABLE events (id int);\n")

    with pytest.raises(ValidationError, match="not applied to database: version 1"):
        runner(db, sql_dir).validate()


def test_validate_ignore_pending(db: pg8000.native.Connection, sql_dir: Path) -> None:
    write(sql_dir, "V1__events.sql", "CREATE TABLE events (id int);\n")

    runner(db, sql_dir).validate(ignore_pending=True)

    assert not table_exists(db, HISTORY)


def test_validate_rejects_missing_applied_file(db: pg8000.native.Connection, sql_dir: Path) -> None:
    first = write(sql_dir, "V1__events.sql", "CREATE TABLE events (id int);\n")
    write(sql_dir, "V2__actors.sql", "CREATE TABLE actors (id int);\n")
    runner(db, sql_dir).migrate()
    first.unlink()

    with pytest.raises(ValidationError) as raised:
        runner(db, sql_dir).validate()

    assert "not resolved locally: version 1 (V1__events.sql)" in str(raised.value)


def test_validate_rejects_missing_repeatable(db: pg8000.native.Connection, sql_dir: Path) -> None:
    view = write(sql_dir, "R__view.sql", "CREATE VIEW v AS SELECT 1 AS one;\n")
    runner(db, sql_dir).migrate()
    view.unlink()

    with pytest.raises(ValidationError, match=r"not resolved locally: repeatable 'view'"):
        runner(db, sql_dir).validate()


def test_validate_accepts_future_migration(db: pg8000.native.Connection, sql_dir: Path) -> None:
    # Flyway's default ignoreMigrationPatterns "*:future" accepts an applied migration newer
    # than every file, such as one applied from another branch.
    write(sql_dir, "V1__events.sql", "CREATE TABLE events (id int);\n")
    newest = write(sql_dir, "V2__actors.sql", "CREATE TABLE actors (id int);\n")
    runner(db, sql_dir).migrate()
    newest.unlink()

    runner(db, sql_dir).validate()

    assert [info.state for info in runner(db, sql_dir).info()] == [
        MigrationState.SUCCESS,
        MigrationState.FUTURE_SUCCESS,
    ]


def test_validate_rejects_lower_unapplied_version(
    db: pg8000.native.Connection, sql_dir: Path
) -> None:
    write(sql_dir, "V1__events.sql", "CREATE TABLE events (id int);\n")
    write(sql_dir, "V3__actors.sql", "CREATE TABLE actors (id int);\n")
    runner(db, sql_dir).migrate()
    write(sql_dir, "V2__late.sql", "CREATE TABLE late (id int);\n")

    with pytest.raises(ValidationError) as raised:
        runner(db, sql_dir).migrate()

    assert "version 2 (V2__late.sql) is lower than the highest applied version 3" in str(
        raised.value
    )
    assert not table_exists(db, "late")


def test_validate_rejects_renamed_file(db: pg8000.native.Connection, sql_dir: Path) -> None:
    original = write(sql_dir, "V1__events.sql", "CREATE TABLE events (id int);\n")
    runner(db, sql_dir).migrate()
    original.rename(sql_dir / "V1__audit_events.sql")

    with pytest.raises(ValidationError, match="description mismatch for version 1"):
        runner(db, sql_dir).validate()


def test_info_lists_states(db: pg8000.native.Connection, sql_dir: Path) -> None:
    write(sql_dir, "V1__events.sql", "CREATE TABLE events (id int);\n")
    runner(db, sql_dir).migrate()
    write(sql_dir, "V2__actors.sql", "CREATE TABLE actors (id int);\n")

    infos = runner(db, sql_dir).info()
    table = format_info(infos)

    assert [(str(info.version), info.state) for info in infos] == [
        ("1", MigrationState.SUCCESS),
        ("2", MigrationState.PENDING),
    ]
    assert infos[0].installed_on is not None
    assert infos[1].installed_on is None
    assert "| Category  | Version | Description | Type | Installed On        | State   |" in table
    assert "| Versioned | 2       | actors      | SQL  |                     | Pending |" in table


# -- session and lock ------------------------------------------------------------------------


def test_migrate_resets_search_path_per_migration(
    db: pg8000.native.Connection, sql_dir: Path
) -> None:
    write(sql_dir, "V1__elsewhere.sql", "CREATE SCHEMA other;\nSET search_path = other;\n")
    write(sql_dir, "V2__events.sql", "CREATE TABLE events (id int);\n")
    search_path = db.run("SHOW search_path")

    runner(db, sql_dir).migrate()

    assert table_exists(db, "public.events")
    assert db.run("SHOW search_path") == search_path


def test_migrate_releases_advisory_lock(
    db: pg8000.native.Connection, sql_dir: Path, empty_database: Connection
) -> None:
    write(sql_dir, "V1__events.sql", "CREATE TABLE events (id int);\n")

    runner(db, sql_dir).migrate()

    observer = connect(empty_database.url())
    try:
        locks = observer.run("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
    finally:
        observer.close()
    assert locks == [[0]]


def test_migrate_concurrent_runs_apply_once(sql_dir: Path, empty_database: Connection) -> None:
    write(sql_dir, "V1__slow.sql", "SELECT pg_sleep(0.5);\nCREATE TABLE events (id int);\n")
    connections = [connect(empty_database.url()) for _ in range(2)]
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(lambda c: runner(c, sql_dir).migrate(), connections))
        rows = history(connections[0])
    finally:
        for connection in connections:
            connection.close()

    assert sorted(results) == [[], ["V1__slow.sql"]]
    assert [row[0] for row in rows] == [1]


# -- command line ----------------------------------------------------------------------------


def test_main_migrate_then_info(
    empty_database: Connection, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sql_dir = tmp_path / "sql"
    sql_dir.mkdir()
    write(sql_dir, "V1__events.sql", "CREATE TABLE events (retention interval DEFAULT '${keep}');")
    config = write(tmp_path, "flyway.toml", '[flyway]\nlocations = ["filesystem:sql"]\n')
    common = ["--url", empty_database.url(), "--config", str(config), "--placeholder", "keep=1 day"]

    migrate_code = main(["migrate", *common])
    info_code = main(["info", *common])
    validate_code = main(["validate", *common])

    output = capsys.readouterr().out
    assert migrate_code == 0
    assert info_code == 0
    assert validate_code == 0
    assert "| Versioned | 1       | events      | SQL  |" in output
    assert "| Success |" in output


def test_main_reports_error(
    empty_database: Connection, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "sql").mkdir()
    write(tmp_path / "sql", "V1__events.sql", "SELECT '${undefined}';")
    config = write(tmp_path, "flyway.toml", '[flyway]\nlocations = ["filesystem:sql"]\n')

    code = main(["migrate", "--url", empty_database.url(), "--config", str(config)])

    error = capsys.readouterr().err
    assert code == 1
    assert error.startswith("ERROR: No value provided for placeholder ${undefined}")
    assert empty_database.password not in error
