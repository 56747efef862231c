"""The deploy's afterMigrate callback creates the functions' login roles and sets their passwords.

The official Flyway runs flyway/deploy/afterMigrate.sql after each migrate in AWS. Here
the placeholders are replaced with the same algorithm as Flyway's
(flyway_files.replace_placeholders) and the script runs as the superuser against the
session's migrated database.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pg8000.native
import pytest
from flyway_files import FlywayError, load_config, replace_placeholders, resolve_migrations
from local_database import FLYWAY_CONFIG, Credentials

pytestmark = pytest.mark.integration

DEPLOY_LOCATION = Path(__file__).resolve().parents[2] / "flyway" / "deploy"
CALLBACK = DEPLOY_LOCATION / "afterMigrate.sql"
INVALID_PASSWORD = "28P01"
INSUFFICIENT_PRIVILEGE = "42501"
INSERT_EVENT = (
    "INSERT INTO audit.events (tenant_id, event_id, occurred_at, source, detail_type, action,"
    " outcome, actor_type, actor_id, original, content_sha256)"
    " VALUES ('t', 'e-callback', now(), 's', 'd', 'a.b', 'success', 'user', 'u', '{}', sha256('x'))"
)


def callback_sql(subscriber_password: str, api_password: str) -> str:
    return replace_placeholders(
        CALLBACK.read_text(),
        {"subscriberPassword": subscriber_password, "apiPassword": api_password},
        CALLBACK.name,
    )


def new_password() -> str:
    return secrets.token_hex(20)


@pytest.fixture
def run_callback(audit_db) -> Iterator:
    """Run the callback as the superuser; restore the session's login passwords afterwards."""
    database = audit_db.database

    def run(subscriber_password: str, api_password: str) -> None:
        audit_db.execute(callback_sql(subscriber_password, api_password))

    yield run
    for credentials in (database.writer, database.reader):
        quoted = audit_db.scalar("SELECT quote_literal(:password)", password=credentials.password)
        audit_db.execute(f"ALTER ROLE {credentials.user} PASSWORD {quoted}")


def sqlstate_of(connection: pg8000.native.Connection, sql: str) -> str | None:
    """Run sql and return the SQLSTATE it failed with, or None if it succeeded."""
    try:
        connection.run(sql)
    except pg8000.native.DatabaseError as error:
        return error.args[0]["C"]
    return None


def login_sqlstate(audit_db, credentials: Credentials) -> str | None:
    try:
        with audit_db.connect_as(credentials):
            return None
    except pg8000.native.DatabaseError as error:
        return error.args[0]["C"]


def memberships(audit_db, role_name: str) -> list[str]:
    rows = audit_db.execute_all(
        "SELECT groups.rolname FROM pg_auth_members"
        " JOIN pg_roles AS members ON members.oid = pg_auth_members.member"
        " JOIN pg_roles AS groups ON groups.oid = pg_auth_members.roleid"
        " WHERE members.rolname = :role_name ORDER BY 1",
        role_name=role_name,
    )
    return [row[0] for row in rows]


def test_callback_subscriber_login_inserts_only(audit_db, run_callback):
    password = new_password()
    run_callback(password, new_password())

    with audit_db.connect_as(Credentials("audit_subscriber", password)) as subscriber:
        assert sqlstate_of(subscriber, INSERT_EVENT) is None
        assert sqlstate_of(subscriber, "SELECT * FROM audit.events") == INSUFFICIENT_PRIVILEGE


def test_callback_api_login_reads_only(audit_db, run_callback):
    password = new_password()
    run_callback(new_password(), password)

    with audit_db.connect_as(Credentials("audit_api", password)) as api:
        assert sqlstate_of(api, "SELECT * FROM audit.events") is None
        assert sqlstate_of(api, INSERT_EVENT) == INSUFFICIENT_PRIVILEGE


def test_callback_rerun_changes_passwords(audit_db, run_callback):
    first_subscriber, first_api = new_password(), new_password()
    second_subscriber, second_api = new_password(), new_password()
    run_callback(first_subscriber, first_api)
    run_callback(second_subscriber, second_api)

    assert login_sqlstate(audit_db, Credentials("audit_subscriber", second_subscriber)) is None
    assert login_sqlstate(audit_db, Credentials("audit_api", second_api)) is None
    assert (
        login_sqlstate(audit_db, Credentials("audit_subscriber", first_subscriber))
        == INVALID_PASSWORD
    )
    assert login_sqlstate(audit_db, Credentials("audit_api", first_api)) == INVALID_PASSWORD
    assert memberships(audit_db, "audit_subscriber") == ["audit_writer"]
    assert memberships(audit_db, "audit_api") == ["audit_reader"]


def test_callback_replaces_old_password(audit_db, run_callback):
    run_callback(new_password(), new_password())

    assert login_sqlstate(audit_db, audit_db.writer) == INVALID_PASSWORD
    assert login_sqlstate(audit_db, audit_db.reader) == INVALID_PASSWORD


def test_callback_accepts_quotes_in_password(audit_db, run_callback):
    password = 'it\'s a "quoted" password; DROP ROLE x; --'
    run_callback(password, new_password())

    assert login_sqlstate(audit_db, Credentials("audit_subscriber", password)) is None


def test_callback_creates_missing_roles(audit_db, run_callback):
    audit_db.execute("BEGIN")
    try:
        audit_db.execute("DROP ROLE audit_api")
        run_callback(new_password(), new_password())
        can_login = audit_db.scalar("SELECT rolcanlogin FROM pg_roles WHERE rolname = 'audit_api'")
        groups = memberships(audit_db, "audit_api")
    finally:
        audit_db.execute("ROLLBACK")

    assert can_login is True
    assert groups == ["audit_reader"]


def test_callback_rejects_short_password(audit_db, run_callback):
    with pytest.raises(pg8000.native.DatabaseError, match="shorter than 20 characters"):
        run_callback("short", new_password())


def test_local_runner_never_reads_deploy_location():
    locations = load_config(FLYWAY_CONFIG).locations

    assert DEPLOY_LOCATION not in locations
    # The local runner rejects callbacks: were the folder a location, it would fail.
    with pytest.raises(FlywayError, match=r"afterMigrate\.sql"):
        resolve_migrations([DEPLOY_LOCATION])


def test_callback_named_for_flyway_event():
    # Flyway runs <event>.sql or <event>__<description>.sql files as SQL callbacks.
    assert [path.name for path in DEPLOY_LOCATION.iterdir()] == ["afterMigrate.sql"]
