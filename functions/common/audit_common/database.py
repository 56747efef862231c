"""One PostgreSQL connection per warm Lambda, opened lazily and reopened when dead."""

from __future__ import annotations

import contextlib
import json
import logging
import ssl
from collections.abc import Callable
from typing import Any, TypeVar

import pg8000.native

from audit_common.settings import DatabaseSettings

# A standard logger: each function's handler copies its Powertools logger's
# configuration onto it (copy_config_to_registered_loggers).
logger = logging.getLogger(__name__)

T = TypeVar("T")

# SQLSTATE classes and codes after which the same work may succeed on a retry:
# connection exceptions, shutdowns and failovers, resource shortages,
# serialization failures and deadlocks, lock timeouts, and query cancels
# (statement_timeout).
TRANSIENT_SQLSTATE_CLASSES = ("08", "53", "57")
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03", "57014"})
# A rejected password or login: after a rotation the cached secret is stale.
LOGIN_FAILURE_SQLSTATES = frozenset({"28P01", "28000"})


class TransientDatabaseError(Exception):
    """The database could not be reached or gave up on the work; retrying may succeed."""


def sqlstate(error: BaseException) -> str | None:
    """Return the SQLSTATE of a pg8000 DatabaseError, or None."""
    if isinstance(error, pg8000.native.DatabaseError) and error.args:
        details = error.args[0]
        if isinstance(details, dict):
            return details.get("C")
    return None


def describe(error: BaseException) -> str:
    """Format the SQLSTATE and PostgreSQL's message in one line, without the statement text."""
    if isinstance(error, pg8000.native.DatabaseError) and error.args:
        details = error.args[0]
        if isinstance(details, dict):
            return f"{details.get('C', '?????')}: {details.get('M', 'unknown error')}"
    return f"{type(error).__name__}: {error}"


def error_code(error: BaseException) -> str:
    """Return the SQLSTATE of a database error, else the exception's type name.

    Safe to log: unlike PostgreSQL's message and context fields, it never
    quotes row data.
    """
    return sqlstate(error) or type(error).__name__


def is_login_failure(error: BaseException) -> bool:
    return sqlstate(error) in LOGIN_FAILURE_SQLSTATES


def is_transient(error: BaseException) -> bool:
    """Tell whether a failed database call is worth retrying later."""
    if isinstance(error, pg8000.native.InterfaceError | OSError | TransientDatabaseError):
        return True
    code = sqlstate(error)
    if code is None:
        return False
    return (
        code in TRANSIENT_SQLSTATES
        or code in LOGIN_FAILURE_SQLSTATES
        or code[:2] in TRANSIENT_SQLSTATE_CLASSES
    )


def _ssl_context(settings: DatabaseSettings) -> ssl.SSLContext | None:
    if settings.ssl_mode == "disable":
        return None
    context = ssl.create_default_context(cafile=settings.ssl_root_cert)
    if settings.ssl_mode == "require":
        # Encrypt, but do not verify the server certificate (libpq's sslmode=require).
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _secret(secret_arn: str, *, force_fetch: bool) -> dict[str, Any]:
    # Imported here so that a cold start without a secret does not load boto3.
    from aws_lambda_powertools.utilities import parameters

    value = parameters.get_secret(secret_arn, max_age=300, force_fetch=force_fetch)
    try:
        secret = json.loads(value)
    except (TypeError, json.JSONDecodeError):
        raise TransientDatabaseError(
            f"secret {secret_arn} is not a JSON object with username and password"
        ) from None
    if not isinstance(secret, dict) or not secret.get("username") or not secret.get("password"):
        raise TransientDatabaseError(f"secret {secret_arn} lacks username or password")
    return secret


def connector(settings: DatabaseSettings) -> Callable[[bool], pg8000.native.Connection]:
    """Return a function that opens a connection; its argument forces a fresh secret."""

    def connect(refresh_credentials: bool) -> pg8000.native.Connection:
        host, port, name = settings.host, settings.port, settings.name
        user, password = settings.user, settings.password
        if settings.secret_arn:
            secret = _secret(settings.secret_arn, force_fetch=refresh_credentials)
            user, password = secret["username"], secret["password"]
            host = host or secret.get("host")
            port = int(secret.get("port") or port)
            name = secret.get("dbname") or name
        if not host:
            raise TransientDatabaseError("no database host: set DB_HOST or add host to the secret")
        connection = pg8000.native.Connection(
            user,
            host=host,
            port=port,
            database=name,
            password=password,
            ssl_context=_ssl_context(settings),
            timeout=settings.connect_timeout_seconds,
            application_name=settings.application_name,
        )
        connection.run(f"SET statement_timeout = '{settings.statement_timeout_seconds}s'")
        # pg8000 keeps its connect timeout on the socket for every later read, so a
        # batch slower than that would look like a dead connection. Reads may take
        # as long as the server lets a statement run, plus a margin.
        # NOTE: _usock is pg8000's attribute (1.31); there is no public setter.
        connection._usock.settimeout(settings.statement_timeout_seconds + 15)
        logger.info("database connection opened", extra={"db_host": host, "db_name": name})
        return connection

    return connect


class ConnectionHolder:
    """Keeps one connection across invocations of a warm Lambda."""

    def __init__(self, connect: Callable[[bool], pg8000.native.Connection]) -> None:
        self._connect = connect
        self._connection: pg8000.native.Connection | None = None
        self._refresh_credentials = False

    @property
    def has_connection(self) -> bool:
        return self._connection is not None

    def get(self) -> pg8000.native.Connection:
        """Return the open connection, opening one if there is none."""
        if self._connection is None:
            connection = self._connect(self._refresh_credentials)
            try:
                self.on_open(connection)
            except BaseException:
                with contextlib.suppress(Exception):
                    connection.close()
                raise
            self._connection = connection
            self._refresh_credentials = False
        return self._connection

    def on_open(self, connection: pg8000.native.Connection) -> None:
        """Prepare a new connection; subclasses create session state here."""

    def discard(self, error: BaseException | None = None) -> None:
        """Close and forget the connection after it failed, so the next get() reconnects."""
        if error is not None and is_login_failure(error):
            # The password may have been rotated: fetch the secret again.
            self._refresh_credentials = True
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception:
                logger.debug("closing a failed connection raised", exc_info=True)

    def call(self, work: Callable[[pg8000.native.Connection], T]) -> T:
        """Run ``work`` with the connection, reconnecting where a retry can help.

        A connection reused from an earlier invocation that turns out to be
        dead is replaced once, and a login rejected because the password was
        rotated is tried once more with the secret fetched again. Any other
        transient failure, or a second one, raises TransientDatabaseError;
        other errors propagate unchanged. ``work`` must leave nothing
        committed when it raises, since it may run again.
        """
        retries_left = {"stale connection": 1, "rejected login": 1}
        while True:
            reused = self.has_connection
            try:
                return work(self.get())
            except Exception as error:
                if not is_transient(error):
                    raise
                self.discard(error)
                cause = "rejected login" if is_login_failure(error) else "stale connection"
                if (cause == "stale connection" and not reused) or not retries_left[cause]:
                    raise TransientDatabaseError(describe(error)) from error
                retries_left[cause] -= 1
                logger.warning(
                    "database connection failed; reconnecting",
                    extra={"cause": cause, "error": describe(error)},
                )
