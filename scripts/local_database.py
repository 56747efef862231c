"""Prepare a local PostgreSQL for the service: migrations and login roles.

On AWS the deploy applies the migrations with the official Flyway and
creates one login role per function with its password in Secrets
Manager. Locally the Flyway-compatible runner applies the same
migrations, and this module creates the same login roles with random
passwords.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pg8000.native
from flyway_local import FlywayRunner, load_config
from localpg import Connection, LocalPostgres

FLYWAY_CONFIG = Path(__file__).resolve().parent.parent / "flyway" / "flyway.toml"

# Login role -> the group role of flyway/sql/V5__create_database_roles.sql it joins.
LOGIN_ROLES = {
    "audit_subscriber": "audit_writer",
    "audit_api": "audit_reader",
    "audit_redrive": "audit_redriver",
}


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str = field(repr=False)


@dataclass
class AuditDatabase:
    """A migrated database and the credentials of its roles."""

    host: str
    port: int
    name: str
    superuser: Credentials
    writer: Credentials
    reader: Credentials
    redriver: Credentials = field(default_factory=lambda: Credentials("", ""))
    placeholders: Mapping[str, str] = field(default_factory=dict)

    def environment(self, credentials: Credentials) -> dict[str, str]:
        """Return the DB_* variables with which a function logs in as ``credentials``."""
        return {
            "DB_HOST": self.host,
            "DB_PORT": str(self.port),
            "DB_NAME": self.name,
            "DB_USER": credentials.user,
            "DB_PASSWORD": credentials.password,
            # A throwaway cluster on 127.0.0.1 has no certificate.
            "DB_SSLMODE": "disable",
        }

    @contextlib.contextmanager
    def connect_as(self, credentials: Credentials) -> Iterator[pg8000.native.Connection]:
        connection = pg8000.native.Connection(
            credentials.user,
            host=self.host,
            port=self.port,
            database=self.name,
            password=credentials.password,
        )
        try:
            yield connection
        finally:
            connection.close()

    def migrate(self, session_time_zone: str | None = None) -> int:
        """Apply pending migrations as the superuser; return how many were applied."""
        config = load_config(FLYWAY_CONFIG, self.placeholders)
        with self.connect_as(self.superuser) as connection:
            if session_time_zone:
                connection.run(f"SET TimeZone = '{session_time_zone}'")
            runner = FlywayRunner(connection, config.locations, config.placeholders)
            return len(runner.migrate())


def _ensure_login_role(connection: pg8000.native.Connection, user: str, group: str) -> Credentials:
    """Create the login role, or reset its password; make it a member of its group role."""
    password = secrets.token_urlsafe(24)
    exists = connection.run("SELECT 1 FROM pg_roles WHERE rolname = :user", user=user)
    verb = "ALTER" if exists else "CREATE"
    # Utility statements take no parameters: quote the literal in SQL.
    quoted = connection.run("SELECT quote_literal(:password)", password=password)[0][0]
    connection.run(f"{verb} ROLE {user} LOGIN PASSWORD {quoted}")
    connection.run(f"GRANT {group} TO {user}")
    return Credentials(user, password)


def prepare_database(
    cluster: LocalPostgres,
    *,
    placeholders: Mapping[str, str] | None = None,
    session_time_zone: str | None = None,
) -> AuditDatabase:
    """Migrate the cluster's database and create the login roles of the functions."""
    connection_info: Connection = cluster.connection
    database = AuditDatabase(
        host=connection_info.host,
        port=connection_info.port,
        name=connection_info.database,
        superuser=Credentials(connection_info.user, connection_info.password),
        writer=Credentials("", ""),
        reader=Credentials("", ""),
        placeholders=dict(placeholders or {}),
    )
    database.migrate(session_time_zone)
    with database.connect_as(database.superuser) as connection:
        database.writer = _ensure_login_role(
            connection, "audit_subscriber", LOGIN_ROLES["audit_subscriber"]
        )
        database.reader = _ensure_login_role(connection, "audit_api", LOGIN_ROLES["audit_api"])
        database.redriver = _ensure_login_role(
            connection, "audit_redrive", LOGIN_ROLES["audit_redrive"]
        )
    return database
