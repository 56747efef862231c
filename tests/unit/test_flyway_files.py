"""Unit tests for the parts of the local Flyway runner that need no database."""

from __future__ import annotations

from pathlib import Path

import pytest
from flyway_files import (
    ConfigError,
    FlywayError,
    MigrationVersion,
    PlaceholderError,
    checksum,
    is_non_transactional,
    load_config,
    parse_migration_name,
    replace_placeholders,
    resolve_migrations,
    split_statements,
)

PG15 = 150000


# -- names and versions --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "version", "description"),
    [
        ("V1__create_events.sql", "1", "create events"),
        ("V1_2__add_index.sql", "1.2", "add index"),
        ("V2.0.1__fix.sql", "2.0.1", "fix"),
        ("V010__leading_zero.sql", "010", "leading zero"),
        ("V3___leading_underscore.sql", "3", " leading underscore"),
        ("V4__.sql", "4", ""),
    ],
)
def test_parse_migration_name_versioned(filename: str, version: str, description: str) -> None:
    parsed_version, parsed_description = parse_migration_name(filename)
    assert parsed_version.text == version
    assert parsed_description == description


def test_parse_migration_name_repeatable() -> None:
    assert parse_migration_name("R__event_views.sql") == (None, "event views")


@pytest.mark.parametrize(
    "filename",
    [
        "V__no_version.sql",
        "Vone__word_version.sql",
        "V1_single_separator.sql",
        "R1__versioned_repeatable.sql",
        "U1__undo.sql",
        "B1__baseline.sql",
        "afterMigrate.sql",
        "v1__lower_case.sql",
        "V1__not_sql.txt",
    ],
)
def test_parse_migration_name_rejects(filename: str) -> None:
    with pytest.raises(ValueError, match=r"V<version>__<description>\.sql|invalid version"):
        parse_migration_name(filename)


@pytest.mark.parametrize(
    ("smaller", "larger"),
    [("1", "2"), ("1.9", "1.10"), ("1", "1.0.1"), ("2", "10"), ("1.2", "1.2.0.1")],
)
def test_migration_version_orders_numerically(smaller: str, larger: str) -> None:
    assert MigrationVersion.parse(smaller) < MigrationVersion.parse(larger)


@pytest.mark.parametrize(("left", "right"), [("1", "1.0"), ("1_0_0", "1"), ("01", "1")])
def test_migration_version_trailing_zeros_equal(left: str, right: str) -> None:
    assert MigrationVersion.parse(left) == MigrationVersion.parse(right)


# -- discovery ------------------------------------------------------------------------------


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="")
    return path


def test_resolve_migrations_order(tmp_path: Path) -> None:
    write(tmp_path, "V10__ten.sql", "SELECT 10;")
    write(tmp_path, "V2__two.sql", "SELECT 2;")
    write(tmp_path, "R__b_view.sql", "SELECT 'b';")
    write(tmp_path, "R__a_view.sql", "SELECT 'a';")
    write(tmp_path, "nested/V3__three.sql", "SELECT 3;")
    write(tmp_path, "README.md", "not a migration")

    scripts = [migration.script for migration in resolve_migrations([tmp_path])]

    assert scripts == [
        "V2__two.sql",
        "nested/V3__three.sql",
        "V10__ten.sql",
        "R__a_view.sql",
        "R__b_view.sql",
    ]


def test_resolve_migrations_checksum_of_raw_file(tmp_path: Path) -> None:
    path = write(tmp_path, "V1__one.sql", "SELECT '${name}';\r\n")

    [migration] = resolve_migrations([tmp_path])

    assert migration.checksum == checksum(path.read_bytes())


def test_resolve_migrations_rejects_bad_name(tmp_path: Path) -> None:
    write(tmp_path, "create_table.sql", "SELECT 1;")
    with pytest.raises(FlywayError, match=r"create_table\.sql"):
        resolve_migrations([tmp_path])


def test_resolve_migrations_rejects_duplicate_version(tmp_path: Path) -> None:
    write(tmp_path, "V1__first.sql", "SELECT 1;")
    write(tmp_path, "V1_0__second.sql", "SELECT 2;")
    with pytest.raises(FlywayError, match="more than one migration with version") as raised:
        resolve_migrations([tmp_path])
    assert "V1__first.sql" in str(raised.value)
    assert "V1_0__second.sql" in str(raised.value)


def test_resolve_migrations_rejects_duplicate_repeatable(tmp_path: Path) -> None:
    write(tmp_path, "R__views.sql", "SELECT 1;")
    write(tmp_path, "nested/R__views.sql", "SELECT 2;")
    with pytest.raises(FlywayError, match="more than one repeatable migration"):
        resolve_migrations([tmp_path])


def test_resolve_migrations_rejects_invalid_utf8(tmp_path: Path) -> None:
    (tmp_path / "V1__latin1.sql").write_bytes(b"SELECT 'caf\xe9';\n")
    with pytest.raises(FlywayError, match=r"V1__latin1\.sql is not valid UTF-8"):
        resolve_migrations([tmp_path])


def test_resolve_migrations_skips_missing_location(tmp_path: Path) -> None:
    assert resolve_migrations([tmp_path / "absent"]) == []


def test_resolve_migrations_reads_script_config(tmp_path: Path) -> None:
    write(tmp_path, "V1__index.sql", "CREATE INDEX CONCURRENTLY i ON t (x);")
    write(tmp_path, "V1__index.sql.conf", "# Flyway script config\nexecuteInTransaction = FALSE\n")
    write(tmp_path, "V2__literal.sql", "SELECT '${kept}';")
    write(tmp_path, "V2__literal.sql.conf", "placeholderReplacement=false\n")

    first, second = resolve_migrations([tmp_path])

    assert first.execute_in_transaction is False
    assert first.placeholder_replacement is True
    assert second.execute_in_transaction is None
    assert second.placeholder_replacement is False


@pytest.mark.parametrize(
    ("conf", "message"),
    [
        ("executeInTransaction=maybe\n", "must be true or false"),
        ("shouldExecute=false\n", "unsupported settings shouldExecute"),
        ("encoding=ISO-8859-1\n", "encoding 'ISO-8859-1' is not supported"),
        ("executeInTransaction\n", "expected key=value"),
    ],
)
def test_resolve_migrations_rejects_script_config(tmp_path: Path, conf: str, message: str) -> None:
    write(tmp_path, "V1__x.sql", "SELECT 1;")
    write(tmp_path, "V1__x.sql.conf", conf)
    with pytest.raises(ConfigError, match=message):
        resolve_migrations([tmp_path])


# -- placeholders ---------------------------------------------------------------------------


def test_replace_placeholders_ignores_case() -> None:
    sql = replace_placeholders(
        "SELECT '${Interval}', '${INTERVAL}';", {"interval": "1 month"}, "V1"
    )
    assert sql == "SELECT '1 month', '1 month';"


def test_replace_placeholders_in_comments_and_strings() -> None:
    sql = replace_placeholders("-- ${a}\nSELECT '${a}' /* ${a} */;", {"a": "x"}, "V1")
    assert sql == "-- x\nSELECT 'x' /* x */;"


def test_replace_placeholders_keeps_dollar_quotes() -> None:
    sql = "DO $$ BEGIN PERFORM '${a}'; END $$; SELECT $1, $tag$x$tag$;"
    assert replace_placeholders(sql, {"a": "x"}, "V1") == (
        "DO $$ BEGIN PERFORM 'x'; END $$; SELECT $1, $tag$x$tag$;"
    )


def test_replace_placeholders_dollar_pairs_like_flyway() -> None:
    # Flyway's reader copies "$" and the character after it as a pair, so "$${a}" is kept
    # as written but "$$${a}" is "$$" followed by a replaced placeholder.
    assert replace_placeholders("$${a}", {"a": "x"}, "V1") == "$${a}"
    assert replace_placeholders("$$${a}", {"a": "x"}, "V1") == "$$x"


def test_replace_placeholders_value_not_rescanned() -> None:
    assert replace_placeholders("${a}", {"a": "${b}"}, "V1") == "${b}"


def test_replace_placeholders_missing_value() -> None:
    with pytest.raises(PlaceholderError) as raised:
        replace_placeholders("SELECT 1;\nSELECT '${retention}';", {}, "V7__retention.sql")
    message = str(raised.value)
    assert "${retention}" in message
    assert "V7__retention.sql at line 2" in message
    assert "--placeholder retention=VALUE" in message


def test_replace_placeholders_unknown_built_in() -> None:
    with pytest.raises(PlaceholderError, match=r"built-in placeholder \$\{flyway:environment\}"):
        replace_placeholders("SELECT '${flyway:environment}';", {}, "V1__x.sql")


def test_replace_placeholders_unterminated() -> None:
    with pytest.raises(PlaceholderError, match=r"Unterminated placeholder in V1__x\.sql at line 1"):
        replace_placeholders("SELECT '${oops';", {"oops": "x"}, "V1__x.sql")


# -- statements -----------------------------------------------------------------------------


def test_split_statements_quoted_semicolons() -> None:
    script = (
        "-- leading comment; not a statement\n"
        "CREATE TABLE t (a text DEFAULT 'x;y', \"odd;name\" int);\n"
        "/* block /* nested; */ still comment; */\n"
        "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$\n"
        "BEGIN RETURN 1; END;\n"
        "$body$;\n"
        "SELECT E'it\\'s; fine';\n"
        "CREATE FUNCTION g() RETURNS int LANGUAGE sql\n"
        "BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; SELECT 2; END;\n"
        "SELECT 'no final semicolon'"
    )

    statements = split_statements(script)

    assert [statement.line for statement in statements] == [2, 4, 7, 8, 10]
    assert statements[0].sql == "CREATE TABLE t (a text DEFAULT 'x;y', \"odd;name\" int)"
    assert statements[1].sql.endswith("$body$")
    assert statements[2].sql == "SELECT E'it\\'s; fine'"
    assert statements[3].sql.endswith("SELECT 2; END")
    assert statements[4].sql == "SELECT 'no final semicolon'"


def test_split_statements_cr_only_line_comment() -> None:
    statements = split_statements("-- first\rSELECT 1;\rSELECT 2;")
    assert [(statement.sql, statement.line) for statement in statements] == [
        ("SELECT 1", 2),
        ("SELECT 2", 3),
    ]


def test_split_statements_drops_comment_only_script() -> None:
    assert split_statements("-- nothing\n/* here */\n;\n") == []


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE INDEX CONCURRENTLY i ON t (x)",
        "create unique index concurrently i on t (x)",
        "DROP INDEX CONCURRENTLY IF EXISTS i",
        "/* why */ VACUUM ANALYZE t",
        "CREATE DATABASE other",
        "ALTER SYSTEM SET work_mem = '8MB'",
        "REINDEX SCHEMA public",
        "DISCARD ALL",
    ],
)
def test_is_non_transactional_detects(sql: str) -> None:
    [statement] = split_statements(sql)
    assert is_non_transactional(statement, PG15)


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE INDEX i ON t (x)",
        "SELECT 'CREATE INDEX CONCURRENTLY'",
        "-- VACUUM\nSELECT 1",
        "REINDEX TABLE t",
        "ALTER TYPE mood ADD VALUE 'ok'",
    ],
)
def test_is_non_transactional_ignores(sql: str) -> None:
    [statement] = split_statements(sql)
    assert not is_non_transactional(statement, PG15)


def test_is_non_transactional_alter_type_before_pg12() -> None:
    [statement] = split_statements("ALTER TYPE mood ADD VALUE 'ok'")
    assert is_non_transactional(statement, 110000)


# -- configuration --------------------------------------------------------------------------


def test_load_config_repository_file() -> None:
    config = load_config(Path(__file__).parents[2] / "flyway" / "flyway.toml")
    assert config.locations == [Path(__file__).parents[2] / "flyway" / "sql"]
    assert config.placeholders == {
        "partitionInterval": "1 month",
        "premakePartitions": "4",
        "retentionInterval": "180 days",
        "maintenanceSchedule": "17 * * * *",
    }
    assert config.table == "flyway_schema_history"
    assert config.schema == "public"


def test_load_config_override_replaces_any_case(tmp_path: Path) -> None:
    path = write(tmp_path, "flyway.toml", '[flyway.placeholders]\npremakePartitions = "4"\n')
    config = load_config(path, {"PREMAKEPARTITIONS": "8"})
    assert config.placeholders == {"PREMAKEPARTITIONS": "8"}


def test_load_config_settings(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "flyway.toml",
        '[flyway]\nlocations = ["filesystem:db", "filesystem:/abs"]\n'
        'table = "history"\nschemas = ["audit"]\ninstalledBy = "ci"\n',
    )
    config = load_config(path)
    assert config.locations == [tmp_path / "db", Path("/abs")]
    assert config.table == "history"
    assert config.schema == "audit"
    assert config.installed_by == "ci"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[flyway]\noutOfOrder = true\n", "outOfOrder are not supported"),
        ('[flyway]\nlocations = ["classpath:db"]\n', "classpath:db"),
        ('[flyway]\nlocations = "filesystem:sql"\n', "locations must be a TOML list"),
        ("[flyway]\nlocations = [1]\n", "locations must be strings"),
        ("[flyway]\ntable = 7\n", "table must be a TOML str"),
        ("[flyway.placeholders]\npremakePartitions = 4\n", "premakePartitions must be a string"),
        ("[flyway\n", "not valid TOML"),
    ],
)
def test_load_config_rejects(tmp_path: Path, toml: str, message: str) -> None:
    path = write(tmp_path, "flyway.toml", toml)
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_load_config_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "absent.toml")
