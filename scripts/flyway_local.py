"""Apply Flyway SQL migrations to PostgreSQL without a JVM, recording what Flyway 10 records.

CI runs the official Flyway against the same ``flyway/`` folder. This runner writes the
same ``flyway_schema_history`` table and rows (DDL, checksums, versions, descriptions, ranks
and installed_by), so a database migrated by one tool validates with the other. The
behaviour comes from the Flyway 10 sources (flyway-core and flyway-database-postgresql) and
was tested against PostgreSQL, not against a running Flyway.

Supported: versioned (``V<version>__<description>.sql``) and repeatable
(``R__<description>.sql``) SQL migrations in ``filesystem:`` locations, ``${name}``
placeholders and Flyway's built-in ones, per-script ``<script>.conf`` files with
``executeInTransaction`` and ``placeholderReplacement``, and the migrate, info and validate
commands. Other Flyway features (callbacks, undo and baseline migrations, repair, clean,
``COPY ... FROM STDIN``) are not implemented: files, settings and history rows that need
them raise an error instead of being skipped.

Command line::

    python scripts/flyway_local.py migrate --url postgresql://USER:PASSWORD@127.0.0.1:PORT/DB
    python scripts/flyway_local.py info --url ... [--config flyway/flyway.toml]
    python scripts/flyway_local.py validate --url ... [--placeholder name=value ...]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import enum
import logging
import os
import sys
import time
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pg8000.native
from flyway_files import (
    BOM,
    DEFAULT_SCHEMA,
    DEFAULT_TABLE,
    ConfigError,
    FlywayConfig,
    FlywayError,
    MigrationError,
    MigrationVersion,
    PlaceholderError,
    ResolvedMigration,
    SqlStatement,
    ValidationError,
    checksum,
    checksum_text,
    is_copy_from_stdin,
    is_non_transactional,
    line_at,
    load_config,
    parse_migration_name,
    replace_placeholders,
    resolve_migrations,
    split_statements,
)

LOG = logging.getLogger("flyway_local")

__all__ = [
    "DEFAULT_CONFIG",
    "DEFAULT_SCHEMA",
    "DEFAULT_TABLE",
    "AppliedMigration",
    "ConfigError",
    "FlywayConfig",
    "FlywayError",
    "FlywayRunner",
    "MigrationError",
    "MigrationInfo",
    "MigrationState",
    "MigrationVersion",
    "PlaceholderError",
    "ResolvedMigration",
    "SqlStatement",
    "ValidationError",
    "checksum",
    "connect",
    "format_info",
    "is_non_transactional",
    "load_config",
    "main",
    "parse_migration_name",
    "replace_placeholders",
    "resolve_migrations",
    "split_statements",
]

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "flyway" / "flyway.toml"
MIGRATION_TYPE = "SQL"

# Flyway's PostgreSQLAdvisoryLockTemplate adds the Java hash code of the quoted table name
# to this number ("Flyway" in ASCII), so both tools take the same lock for the same table.
_LOCK_MAGIC_NUMBER = (0x46 << 40) + (0x6C << 32) + (0x79 << 24) + (0x77 << 16) + (0x61 << 8) + 0x79


def _java_string_hash(text: str) -> int:
    """Return Java's String.hashCode(), which runs over UTF-16 code units."""
    units = text.encode("utf-16-be")
    value = 0
    for index in range(0, len(units), 2):
        value = (31 * value + int.from_bytes(units[index : index + 2], "big")) & 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


# -- schema history -----------------------------------------------------------------------


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class AppliedMigration:
    """One row of the schema history table."""

    installed_rank: int
    version: MigrationVersion | None
    description: str
    type: str
    script: str
    checksum: int | None
    installed_by: str
    installed_on: datetime.datetime
    execution_time: int
    success: bool


class MigrationState(enum.StrEnum):
    """The state names that Flyway's info command prints."""

    PENDING = "Pending"
    IGNORED = "Ignored"
    SUCCESS = "Success"
    FAILED = "Failed"
    MISSING_SUCCESS = "Missing"
    MISSING_FAILED = "Failed (Missing)"
    FUTURE_SUCCESS = "Future"
    FUTURE_FAILED = "Failed (Future)"
    OUTDATED = "Outdated"
    SUPERSEDED = "Superseded"


@dataclass(frozen=True)
class MigrationInfo:
    """A migration as ``info`` shows it: a file, a history row, or both."""

    state: MigrationState
    resolved: ResolvedMigration | None
    applied: AppliedMigration | None

    @property
    def version(self) -> MigrationVersion | None:
        return self.applied.version if self.applied else self.resolved.version

    @property
    def description(self) -> str:
        return self.applied.description if self.applied else self.resolved.description

    @property
    def script(self) -> str:
        return self.applied.script if self.applied else self.resolved.script

    @property
    def category(self) -> str:
        if self.applied and self.applied.type == "SCHEMA":
            return "Schema"
        return "Versioned" if self.version else "Repeatable"

    @property
    def installed_on(self) -> datetime.datetime | None:
        return self.applied.installed_on if self.applied else None


@dataclass(frozen=True)
class _Session:
    """Facts read once per command; the built-in placeholders come from them."""

    user: str
    database: str
    search_path: str
    server_version_num: int
    timestamp: str  # Flyway formats it once per command as yyyy-MM-dd HH:mm:ss, local time


@dataclass(frozen=True)
class _PreparedMigration:
    """A pending migration rendered for execution and checked before anything runs."""

    migration: ResolvedMigration
    sql: str
    statements: list[SqlStatement]
    in_transaction: bool
    checksum: int  # the value recorded in the history


class FlywayRunner:
    """Run Flyway's migrate, info and validate commands against one PostgreSQL database.

    The connection stays open and is left as it was found: the runner changes its role and
    search_path only while migrations run, as Flyway does, and restores them afterwards.
    ``schema`` is Flyway's defaultSchema. It contains the history table and comes first on
    the search_path while a migration runs.
    """

    def __init__(
        self,
        connection: pg8000.native.Connection,
        locations: Sequence[Path | str],
        placeholders: Mapping[str, str] | None = None,
        table: str = DEFAULT_TABLE,
        schema: str = DEFAULT_SCHEMA,
        installed_by: str | None = None,
        *,
        placeholder_replacement: bool = True,
    ) -> None:
        self.connection = connection
        self.locations = [Path(location) for location in locations]
        self.placeholders = dict(placeholders or {})
        self.table = table
        self.schema = schema
        self.installed_by = installed_by
        self.placeholder_replacement = placeholder_replacement
        self.qualified_table = f"{quote_identifier(schema)}.{quote_identifier(table)}"

    @classmethod
    def from_config(
        cls, connection: pg8000.native.Connection, config: FlywayConfig
    ) -> FlywayRunner:
        return cls(
            connection,
            config.locations,
            config.placeholders,
            table=config.table,
            schema=config.schema,
            installed_by=config.installed_by,
            placeholder_replacement=config.placeholder_replacement,
        )

    # -- commands -------------------------------------------------------------------------

    def info(self) -> list[MigrationInfo]:
        """Return every migration file and history row with its state, without changing anything."""
        session = self._read_session()
        return self._build_infos(session, resolve_migrations(self.locations), self._applied())

    def validate(self, *, ignore_pending: bool = False) -> None:
        """Raise ValidationError unless the history matches the migration files.

        Like ``flyway validate``, pending migrations count as problems unless
        ignore_pending is set, which is what migrate does before it runs anything.
        """
        session = self._read_session()
        infos = self._build_infos(session, resolve_migrations(self.locations), self._applied())
        self._check(infos, ignore_pending=ignore_pending)
        LOG.info("Successfully validated %d migrations", sum(1 for info in infos if info.resolved))

    def migrate(self) -> list[str]:
        """Validate, then apply the pending migrations and return the scripts that ran, in order.

        Each transactional migration runs in one transaction together with its history row,
        so a failure leaves no trace. A non-transactional one runs statement by statement and,
        as in Flyway, a failure records a row with success = false that blocks later runs.
        All pending migrations are checked and rendered before the first one runs, so a bad
        placeholder stops the run with nothing applied.
        """
        session = self._read_session()
        applied_scripts: list[str] = []
        with self._lock():
            try:
                resolved = resolve_migrations(self.locations)
                table_exists = self._history_table_exists()
                history = self._applied() if table_exists else []
                infos = self._build_infos(session, resolved, history)
                self._check(infos, ignore_pending=True)
                pending = [info.resolved for info in infos if info.state is MigrationState.PENDING]
                prepared = [self._prepare(session, migration) for migration in pending]
                if not table_exists:
                    self._create_history_table()
                self._log_current_version(history)
                started = time.monotonic()
                for item in prepared:
                    self._apply(session, item)
                    applied_scripts.append(item.migration.script)
                self._log_summary(prepared, time.monotonic() - started)
            finally:
                self._restore_session(session)
        return applied_scripts

    # -- database access ------------------------------------------------------------------

    def _read_session(self) -> _Session:
        [row] = self.connection.run(
            "SELECT current_user, current_database(), current_setting('search_path'),"
            " current_setting('server_version_num')::int"
        )
        return _Session(
            user=row[0],
            database=row[1],
            search_path=row[2],
            server_version_num=row[3],
            timestamp=datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
        )

    def _history_table_exists(self) -> bool:
        [[exists]] = self.connection.run(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c"
            " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = :schema AND c.relname = :table)",
            schema=self.schema,
            table=self.table,
        )
        return exists

    def _applied(self) -> list[AppliedMigration]:
        if not self._history_table_exists():
            return []
        rows = self.connection.run(
            "SELECT installed_rank, version, description, type, script, checksum, installed_by,"
            f" installed_on, execution_time, success FROM {self.qualified_table}"
            " ORDER BY installed_rank"
        )
        applied = []
        for row in rows:
            if row[3] not in (MIGRATION_TYPE, "SCHEMA"):
                raise FlywayError(
                    f"{self.qualified_table} row {row[0]} has type {row[3]}; the local runner "
                    "handles SQL migrations only. Use the official Flyway for this database."
                )
            applied.append(
                AppliedMigration(
                    installed_rank=row[0],
                    version=MigrationVersion.parse(row[1]) if row[1] is not None else None,
                    description=row[2],
                    type=row[3],
                    script=row[4],
                    checksum=row[5],
                    installed_by=row[6],
                    installed_on=row[7],
                    execution_time=row[8],
                    success=row[9],
                )
            )
        return applied

    def _create_history_table(self) -> None:
        """Create the history table with the DDL of Flyway 10's PostgreSQLDatabase."""
        if not self._schema_is_empty():
            raise FlywayError(
                f"Found non-empty schema {quote_identifier(self.schema)} but no schema history "
                f"table {self.qualified_table}. Flyway rejects such a schema without "
                "a baseline: migrate an empty database, or baseline this one with the official "
                "Flyway."
            )
        LOG.info("Creating Schema History table %s ...", self.qualified_table)
        table = self.qualified_table
        with self._transaction():
            self.connection.run(
                f"CREATE TABLE {table} (\n"
                '    "installed_rank" INT NOT NULL,\n'
                '    "version" VARCHAR(50),\n'
                '    "description" VARCHAR(200) NOT NULL,\n'
                '    "type" VARCHAR(20) NOT NULL,\n'
                '    "script" VARCHAR(1000) NOT NULL,\n'
                '    "checksum" INTEGER,\n'
                '    "installed_by" VARCHAR(100) NOT NULL,\n'
                '    "installed_on" TIMESTAMP NOT NULL DEFAULT now(),\n'
                '    "execution_time" INTEGER NOT NULL,\n'
                '    "success" BOOLEAN NOT NULL\n'
                ");\n"
                f"ALTER TABLE {table} ADD CONSTRAINT {quote_identifier(self.table + '_pk')}"
                ' PRIMARY KEY ("installed_rank");\n'
                f'CREATE INDEX {quote_identifier(self.table + "_s_idx")} ON {table} ("success");'
            )

    def _schema_is_empty(self) -> bool:
        """Return whether the schema has no objects of its own.

        This is the query of Flyway's PostgreSQLSchema.doEmpty(): objects that belong to an
        extension do not count.
        """
        [[has_objects]] = self.connection.run(
            "SELECT EXISTS ("
            " SELECT c.oid FROM pg_catalog.pg_class c"
            " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            " LEFT JOIN pg_catalog.pg_depend d ON d.objid = c.oid AND d.deptype = 'e'"
            " WHERE n.nspname = :schema AND d.objid IS NULL AND c.relkind IN ('r', 'v', 'S', 't')"
            " UNION ALL"
            " SELECT t.oid FROM pg_catalog.pg_type t"
            " JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace"
            " LEFT JOIN pg_catalog.pg_depend d ON d.objid = t.oid AND d.deptype = 'e'"
            " WHERE n.nspname = :schema AND d.objid IS NULL AND t.typcategory NOT IN ('A', 'C')"
            " UNION ALL"
            " SELECT p.oid FROM pg_catalog.pg_proc p"
            " JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
            " LEFT JOIN pg_catalog.pg_depend d ON d.objid = p.oid AND d.deptype = 'e'"
            " WHERE n.nspname = :schema AND d.objid IS NULL)",
            schema=self.schema,
        )
        return not has_objects

    def _insert_history(
        self, session: _Session, item: _PreparedMigration, execution_time: int, *, success: bool
    ) -> int:
        """Insert the history row as Flyway's JdbcTableSchemaHistory does and return its rank."""
        migration = item.migration
        [[rank]] = self.connection.run(
            f"INSERT INTO {self.qualified_table} (installed_rank, version, description, type,"
            " script, checksum, installed_by, execution_time, success)"
            " SELECT COALESCE(MAX(installed_rank), 0) + 1, CAST(:version AS VARCHAR),"
            " :description, :type, :script, CAST(:checksum AS INTEGER), :installed_by,"
            f" CAST(:execution_time AS INTEGER), :success FROM {self.qualified_table}"
            " RETURNING installed_rank",
            version=migration.version.text if migration.version else None,
            description=_abbreviate_description(migration.description),
            type=MIGRATION_TYPE,
            script=_abbreviate_script(migration.script),
            checksum=item.checksum,
            installed_by=self.installed_by or session.user,
            execution_time=execution_time,
            success=success,
        )
        return rank

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self.connection.run("START TRANSACTION")
        try:
            yield
        except BaseException:
            self.connection.run("ROLLBACK")
            raise
        self.connection.run("COMMIT")

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        """Hold the PostgreSQL advisory lock that Flyway takes for this history table."""
        key = _LOCK_MAGIC_NUMBER + _java_string_hash(self.qualified_table)
        self.connection.run("SELECT pg_advisory_lock(:key)", key=key)
        try:
            yield
        finally:
            self.connection.run("SELECT pg_advisory_unlock(:key)", key=key)

    # -- migration states -----------------------------------------------------------------

    def _build_infos(
        self,
        session: _Session,
        resolved: Sequence[ResolvedMigration],
        applied: Sequence[AppliedMigration],
    ) -> list[MigrationInfo]:
        """Pair files with history rows and give each pair Flyway's state."""
        versioned = {m.version: m for m in resolved if m.version}
        repeatable = {m.description: m for m in resolved if not m.version}
        last_resolved = max(versioned, default=None)
        applied_versions = {row.version for row in applied if row.version}
        last_applied = max(applied_versions, default=None)
        latest_repeatable_rank = {
            row.description: row.installed_rank
            for row in applied
            if row.version is None and row.type == MIGRATION_TYPE
        }

        infos: list[MigrationInfo] = []
        outdated: set[str] = set()
        for row in applied:
            if row.type == "SCHEMA":
                infos.append(MigrationInfo(MigrationState.SUCCESS, None, row))
                continue
            if row.version is not None:
                migration = versioned.get(row.version)
                state = self._versioned_state(row, migration, last_resolved)
            else:
                migration = repeatable.get(row.description)
                state = self._repeatable_state(
                    session, row, migration, latest_repeatable_rank[row.description]
                )
                if state is MigrationState.OUTDATED:
                    outdated.add(row.description)
            infos.append(MigrationInfo(state, migration, row))

        for version, migration in versioned.items():
            if version in applied_versions:
                continue
            ignored = last_applied is not None and version < last_applied
            state = MigrationState.IGNORED if ignored else MigrationState.PENDING
            infos.append(MigrationInfo(state, migration, None))
        for description, migration in repeatable.items():
            if description not in latest_repeatable_rank or description in outdated:
                infos.append(MigrationInfo(MigrationState.PENDING, migration, None))
        return infos

    @staticmethod
    def _versioned_state(
        row: AppliedMigration,
        migration: ResolvedMigration | None,
        last_resolved: MigrationVersion | None,
    ) -> MigrationState:
        if migration is not None:
            return MigrationState.SUCCESS if row.success else MigrationState.FAILED
        if last_resolved is not None and row.version < last_resolved:
            return MigrationState.MISSING_SUCCESS if row.success else MigrationState.MISSING_FAILED
        return MigrationState.FUTURE_SUCCESS if row.success else MigrationState.FUTURE_FAILED

    def _repeatable_state(
        self,
        session: _Session,
        row: AppliedMigration,
        migration: ResolvedMigration | None,
        latest_rank: int,
    ) -> MigrationState:
        if row.installed_rank != latest_rank:
            return MigrationState.SUPERSEDED
        if migration is None:
            return MigrationState.MISSING_SUCCESS if row.success else MigrationState.MISSING_FAILED
        if not row.success:
            return MigrationState.FAILED
        # Flyway also accepts the checksum of the file without placeholder replacement (its
        # "equivalent checksum"), which is recorded when placeholders were not replaced.
        current = self._recorded_checksum(session, migration)
        if row.checksum in (current, migration.checksum):
            return MigrationState.SUCCESS
        return MigrationState.OUTDATED

    def _check(self, infos: Sequence[MigrationInfo], *, ignore_pending: bool) -> None:
        problems = []
        for info in infos:
            problem = self._problem(info, infos, ignore_pending=ignore_pending)
            if problem:
                problems.append(problem)
        if problems:
            raise ValidationError(problems)
        if not any(info.resolved for info in infos):
            LOG.warning("No migrations found in %s", ", ".join(map(str, self.locations)))

    def _problem(
        self, info: MigrationInfo, infos: Sequence[MigrationInfo], *, ignore_pending: bool
    ) -> str | None:
        """Return the validation error for one migration, or None. Messages start like Flyway's."""
        state = info.state
        name = f"version {info.version}" if info.version else f"repeatable {info.description!r}"
        row = info.applied

        if state in (MigrationState.FAILED, MigrationState.MISSING_FAILED):
            return (
                f"Detected failed migration {name} ({info.script}). It ran outside a transaction,"
                " so it may have left partial changes: undo them, delete its row"
                f" (installed_rank {row.installed_rank}) from {self.qualified_table} or run"
                " the official Flyway's repair, then migrate again."
            )

        if state is MigrationState.FUTURE_FAILED:
            LOG.warning("Schema history contains a failed future migration %s", info.script)
            return None
        if state is MigrationState.FUTURE_SUCCESS:
            # Flyway's default ignoreMigrationPatterns "*:future" accepts these.
            LOG.warning(
                "Schema history contains %s (%s), which is newer than the newest migration "
                "file; Flyway ignores such future migrations by default",
                name,
                info.script,
            )
            return None

        if state is MigrationState.MISSING_SUCCESS:
            return (
                f"Detected applied migration not resolved locally: {name} ({info.script}). "
                "Restore the file: an applied migration must stay in the repository. (The "
                "official Flyway's repair can mark it as deleted, but the local runner rejects "
                "such markers.)"
            )

        if state is MigrationState.IGNORED:
            highest = max(i.version for i in infos if i.applied and i.version)
            return (
                f"Detected resolved migration not applied to database: version {info.version}"
                f" ({info.script}) is lower than the highest applied version {highest}, so it"
                f" would never run. Give it a version above {highest}."
            )

        if state is MigrationState.PENDING and not ignore_pending:
            return (
                f"Detected resolved migration not applied to database: {name} ({info.script})."
                " Run migrate to apply it."
            )
        if state is MigrationState.OUTDATED and not ignore_pending:
            return (
                "Detected outdated resolved repeatable migration that should be re-applied to"
                f" database: {info.description!r} ({info.script}). Run migrate to apply it."
            )

        if state is MigrationState.SUCCESS and row and info.resolved and row.version:
            return self._mismatch(row, info.resolved)
        return None

    @staticmethod
    def _mismatch(row: AppliedMigration, migration: ResolvedMigration) -> str | None:
        if row.checksum != migration.checksum:
            return (
                f"Migration checksum mismatch for {migration.script} (version {row.version}):"
                f" applied to database {row.checksum}, resolved locally {migration.checksum}."
                " Applied migrations must not be edited: restore the file as it was applied"
                " and add a new migration for the change instead."
            )
        if row.description != _abbreviate_description(migration.description):
            return (
                f"Migration description mismatch for version {row.version}: applied to"
                f" database {row.description!r} ({row.script}), resolved locally"
                f" {migration.description!r} ({migration.script}). Restore the original file"
                " name: applied migrations must not be renamed."
            )
        return None

    # -- execution ------------------------------------------------------------------------

    def _placeholder_values(self, session: _Session, filename: str) -> dict[str, str]:
        # Built-ins are added last so they win over configured values, as in Flyway.
        return {
            **self.placeholders,
            "flyway:defaultSchema": self.schema,
            "flyway:user": session.user,
            "flyway:database": session.database,
            "flyway:timestamp": session.timestamp,
            "flyway:filename": filename,
            "flyway:workingDirectory": os.getcwd(),
            "flyway:table": self.table,
        }

    def _render(self, session: _Session, migration: ResolvedMigration) -> str:
        """Return the SQL to execute: the file without its BOM, placeholders replaced."""
        text = migration.data.decode("utf-8").removeprefix(BOM)
        if not (self.placeholder_replacement and migration.placeholder_replacement):
            return text
        values = self._placeholder_values(session, migration.path.name)
        return replace_placeholders(text, values, migration.script)

    def _recorded_checksum(self, session: _Session, migration: ResolvedMigration) -> int:
        """Return the checksum Flyway records: repeatable ones after placeholder replacement."""
        if (
            migration.repeatable
            and self.placeholder_replacement
            and migration.placeholder_replacement
        ):
            return checksum_text(self._render(session, migration))
        return migration.checksum

    def _prepare(self, session: _Session, migration: ResolvedMigration) -> _PreparedMigration:
        sql = self._render(session, migration)
        statements = split_statements(sql)
        for statement in statements:
            if is_copy_from_stdin(statement):
                raise FlywayError(
                    f"{migration.script} line {statement.line}: COPY ... FROM STDIN is not "
                    "supported by the local runner; use INSERT statements instead"
                )
        non_transactional = [
            s for s in statements if is_non_transactional(s, session.server_version_num)
        ]
        # NOTE: this check also runs when a .conf file sets executeInTransaction. Flyway
        # sources differ between releases on that point, and rejecting is the safe side.
        if non_transactional and len(non_transactional) < len(statements):
            offending = non_transactional[0]
            raise FlywayError(
                f"Detected both transactional and non-transactional statements in "
                f"{migration.script}; the non-transactional one is at line {offending.line}: "
                f"{offending.sql.splitlines()[0]}. Flyway rejects such a mix (mixed = false), "
                "so put the non-transactional statements in a migration of their own."
            )
        if migration.execute_in_transaction is not None:
            in_transaction = migration.execute_in_transaction
        else:
            in_transaction = not non_transactional
        return _PreparedMigration(
            migration=migration,
            sql=sql,
            statements=statements,
            in_transaction=in_transaction,
            checksum=self._recorded_checksum(session, migration),
        )

    def _apply(self, session: _Session, item: _PreparedMigration) -> None:
        migration = item.migration
        LOG.info(
            "Migrating %s%s",
            self._describe(migration),
            "" if item.in_transaction else " [non-transactional]",
        )
        self._reset_session(session)
        started = time.monotonic()
        if item.in_transaction:
            with self._transaction():
                try:
                    self.connection.run(item.sql)
                except pg8000.native.DatabaseError as error:
                    raise self._migration_error(
                        migration,
                        error,
                        item.sql,
                        outcome="The transaction was rolled back and nothing was recorded in "
                        f"{self.qualified_table}: fix the script and run migrate again.",
                    ) from error
                self._insert_history(session, item, _milliseconds_since(started), success=True)
            return

        for statement in item.statements:
            try:
                self.connection.run(statement.sql)
            except pg8000.native.DatabaseError as error:
                rank = self._insert_history(
                    session, item, _milliseconds_since(started), success=False
                )
                raise self._migration_error(
                    migration,
                    error,
                    statement.sql,
                    statement_line=statement.line,
                    outcome="It ran outside a transaction, so the statements before it stay "
                    f"applied, and a failed row (installed_rank {rank}, success = false) was "
                    f"recorded in {self.qualified_table}, as Flyway does. Undo the partial "
                    "changes, delete that row, fix the script and run migrate again.",
                ) from error
        self._insert_history(session, item, _milliseconds_since(started), success=True)

    def _migration_error(
        self,
        migration: ResolvedMigration,
        error: pg8000.native.DatabaseError,
        sql: str,
        *,
        outcome: str,
        statement_line: int | None = None,
    ) -> MigrationError:
        """Build the error for a failed script; sql is what was sent, starting at statement_line."""
        fields = error.args[0] if error.args and isinstance(error.args[0], dict) else {}
        message = fields.get("M", str(error))
        sqlstate = fields.get("C")
        where = ""
        # PostgreSQL reports a position only for errors found while parsing or planning.
        if fields.get("P", "").isdigit():
            line = (statement_line or 1) - 1 + line_at(sql, int(fields["P"]) - 1)
            where = f" at line {line}"
        elif statement_line is not None:
            where = f" at line {statement_line}"
        detail = f" Detail: {fields['D']}." if fields.get("D") else ""
        return MigrationError(
            f"Migration {migration.script} failed{where}: {message} (SQLSTATE {sqlstate}).{detail}"
            f" {outcome}",
            script=migration.script,
            sqlstate=sqlstate,
        )

    def _reset_session(self, session: _Session) -> None:
        """Undo role and search_path changes of earlier migrations, as Flyway does before each."""
        self.connection.run(f"SET ROLE {quote_identifier(session.user)}")
        # Flyway's PostgreSQLConnection puts the default schema first unless it already is.
        path = session.search_path
        if self.schema == path or path.startswith(self.schema + ","):
            new_path = path
        elif path.strip():
            new_path = f"{quote_identifier(self.schema)},{path}"
        else:
            new_path = quote_identifier(self.schema)
        self.connection.run("SELECT set_config('search_path', :path, false)", path=new_path)

    def _restore_session(self, session: _Session) -> None:
        self.connection.run(f"SET ROLE {quote_identifier(session.user)}")
        self.connection.run(
            "SELECT set_config('search_path', :path, false)", path=session.search_path
        )

    # -- logging --------------------------------------------------------------------------

    def _describe(self, migration: ResolvedMigration) -> str:
        schema = quote_identifier(self.schema)
        if migration.version:
            return f'schema {schema} to version "{migration.version} - {migration.description}"'
        return f'schema {schema} with repeatable migration "{migration.description}"'

    def _log_current_version(self, history: Sequence[AppliedMigration]) -> None:
        versions = [row.version for row in history if row.version and row.success]
        current = max(versions) if versions else "<< Empty Schema >>"
        LOG.info("Current version of schema %s: %s", quote_identifier(self.schema), current)

    def _log_summary(self, prepared: Sequence[_PreparedMigration], seconds: float) -> None:
        schema = quote_identifier(self.schema)
        if not prepared:
            LOG.info("Schema %s is up to date. No migration necessary.", schema)
            return
        versions = [item.migration.version for item in prepared if item.migration.version]
        target = f", now at version v{versions[-1]}" if versions else ""
        LOG.info(
            "Successfully applied %d migration%s to schema %s%s (execution time %.3fs)",
            len(prepared),
            "" if len(prepared) == 1 else "s",
            schema,
            target,
            seconds,
        )


def _milliseconds_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _abbreviate_description(description: str) -> str:
    # Flyway's AbbreviationUtils: the description column is VARCHAR(200).
    return description if len(description) <= 200 else description[:197] + "..."


def _abbreviate_script(script: str) -> str:
    # Flyway's AbbreviationUtils keeps the first 1000 characters and marks the cut at the start.
    return script if len(script) <= 1000 else "..." + script[3:1000]


def format_info(infos: Sequence[MigrationInfo]) -> str:
    """Render ``info`` results as a text table like the one Flyway prints."""
    header = ("Category", "Version", "Description", "Type", "Installed On", "State")
    rows = [
        (
            info.category,
            str(info.version or ""),
            info.description,
            info.applied.type if info.applied else MIGRATION_TYPE,
            info.installed_on.strftime("%Y-%m-%d %H:%M:%S") if info.installed_on else "",
            str(info.state),
        )
        for info in infos
    ]
    widths = [max(len(cells[i]) for cells in [header, *rows]) for i in range(len(header))]
    border = "+" + "+".join("-" * (width + 2) for width in widths) + "+"

    def line(cells: Sequence[str]) -> str:
        return (
            "| "
            + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
            + " |"
        )

    if not rows:
        return "No migrations found."
    return "\n".join([border, line(header), border, *(line(row) for row in rows), border])


# -- command line -------------------------------------------------------------------------


def connect(url: str) -> pg8000.native.Connection:
    """Open a pg8000 connection from a ``postgresql://USER:PASSWORD@HOST:PORT/DATABASE`` URL."""
    parts = urllib.parse.urlsplit(url)
    usage = "expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
    if parts.scheme not in ("postgresql", "postgres"):
        raise ConfigError(f"Invalid --url scheme {parts.scheme!r}: {usage}")
    database = urllib.parse.unquote(parts.path.lstrip("/"))
    if not parts.username or not parts.hostname or not database:
        raise ConfigError(f"Invalid --url: user, host or database missing; {usage}")
    if parts.query:
        raise ConfigError(f"Invalid --url: query parameters are not supported; {usage}")
    try:
        port = parts.port or 5432
    except ValueError as error:
        raise ConfigError(f"Invalid --url port: {error}; {usage}") from error
    return pg8000.native.Connection(
        urllib.parse.unquote(parts.username),
        host=parts.hostname,
        port=port,
        database=database,
        password=urllib.parse.unquote(parts.password) if parts.password else None,
    )


def format_database_error(error: Exception) -> str:
    """Return PostgreSQL's message and SQLSTATE from a pg8000 error, or the error text."""
    fields = error.args[0] if error.args and isinstance(error.args[0], dict) else None
    if fields is None:
        return str(error)
    return f"{fields.get('M', fields)} (SQLSTATE {fields.get('C')})"


def _parse_placeholder(text: str) -> tuple[str, str]:
    name, separator, value = text.partition("=")
    if not separator or not name:
        raise argparse.ArgumentTypeError(f"invalid placeholder {text!r}: expected NAME=VALUE")
    return name, value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "command",
        choices=["migrate", "info", "validate"],
        help="migrate: apply pending migrations; info: list migrations and their states; "
        "validate: check the history against the files, failing on pending ones",
    )
    parser.add_argument(
        "--url", required=True, help="database URL: postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=DEFAULT_CONFIG,
        help=f"Flyway TOML configuration file (default: {DEFAULT_CONFIG})",
    )
    parser.add_argument(
        "--placeholder",
        type=_parse_placeholder,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="placeholder value that overrides the configuration file; repeatable",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    try:
        config = load_config(args.config, dict(args.placeholder))
        connection = connect(args.url)
    except FlywayError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 1
    except (pg8000.native.InterfaceError, pg8000.native.DatabaseError, OSError) as error:
        print(
            f"ERROR: could not connect to the database in --url: {format_database_error(error)}",
            file=sys.stderr,
        )
        return 1

    runner = FlywayRunner.from_config(connection, config)
    try:
        if args.command == "migrate":
            runner.migrate()
        elif args.command == "validate":
            runner.validate()
        else:
            print(format_info(runner.info()))
    except FlywayError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 1
    except pg8000.native.DatabaseError as error:
        print(f"ERROR: {args.command} failed: {format_database_error(error)}", file=sys.stderr)
        return 1
    finally:
        connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
