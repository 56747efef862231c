"""The subscriber's connection settings against a real PostgreSQL."""

from __future__ import annotations

import pytest

from audit_common.database import connector
from subscriber.config import load_settings

pytestmark = pytest.mark.integration


def settings_for(audit_db, **overrides: str):
    database = audit_db.database
    environment = {**database.environment(database.writer), **overrides}
    return load_settings(environment).database


def test_statement_outlasts_connect_timeout(audit_db):
    connect = connector(settings_for(audit_db, DB_CONNECT_TIMEOUT_SECONDS="1"))
    connection = connect(False)
    try:
        rows = connection.run("SELECT pg_sleep(2), 'still connected'")
    finally:
        connection.close()

    assert rows == [["", "still connected"]]


def test_statement_timeout_applies(audit_db):
    connect = connector(settings_for(audit_db, DB_STATEMENT_TIMEOUT_SECONDS="7"))
    connection = connect(False)
    try:
        setting = connection.run("SHOW statement_timeout")
    finally:
        connection.close()

    assert setting == [["7s"]]
