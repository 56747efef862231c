"""The request context every resolver gets as info.context: caller, settings, database."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from audit_common.database import ConnectionHolder, connector
from graphql_api.caller import Caller
from graphql_api.errors import ApiError, ErrorType
from graphql_api.filters import MAX_TEXT_LENGTH, check_text, storable
from graphql_api.read_audit import ReadAuditor, read_event
from graphql_api.settings import (
    MIN_CURSOR_KEY_LENGTH,
    ApiSettings,
    ConfigurationError,
    load_settings,
)

logger = logging.getLogger(__name__)


class ReadDatabase:
    """The reader role's connections: one per thread, kept across invocations.

    A Lambda runs one thread, so it keeps one connection. The local server
    runs resolvers in worker threads, and a pg8000 connection must not be
    used by two threads at once.
    """

    def __init__(self, connect: Callable[[bool], Any]) -> None:
        self._connect = connect
        self._local = threading.local()
        self._holders: list[ConnectionHolder] = []
        self._lock = threading.Lock()

    @property
    def _holder(self) -> ConnectionHolder:
        holder = getattr(self._local, "holder", None)
        if holder is None:
            holder = ConnectionHolder(self._connect)
            self._local.holder = holder
            with self._lock:
                self._holders.append(holder)
        return holder

    def fetch(self, tenant_id: str, sql: str, /, **params: Any) -> list[list[Any]]:
        """Run one query in a read-only transaction that may see only this tenant's rows.

        Row-level security admits the rows of the tenants in the transaction's
        audit.tenant_ids setting (flyway/sql/V11), so even a query without a
        tenant condition cannot read another tenant.
        """

        def work(connection: Any) -> list[list[Any]]:
            connection.run("BEGIN READ ONLY")
            try:
                connection.run(
                    "SELECT set_config('audit.tenant_ids', CAST(:tenants AS text), true)",
                    tenants=json.dumps([tenant_id]),
                )
                rows = connection.run(sql, **params)
                connection.run("COMMIT")
            except BaseException:
                with contextlib.suppress(Exception):
                    connection.run("ROLLBACK")
                raise
            return rows

        return self._holder.call(work)

    def close(self) -> None:
        with self._lock:
            holders, self._holders = self._holders, []
        for holder in holders:
            holder.discard()
        self._local = threading.local()


@dataclass(frozen=True)
class RequestContext:
    caller: Caller | None
    settings: ApiSettings
    database: ReadDatabase
    cursor_key: bytes
    auditor: ReadAuditor
    request_id: str | None = None
    # Why the request's identity was rejected, when it was.
    caller_error: ApiError | None = None

    def require_caller(self) -> Caller:
        """Return the caller, or raise FORBIDDEN when the request carries no valid identity."""
        if self.caller_error is not None:
            raise self.caller_error
        if self.caller is None:
            raise ApiError(
                ErrorType.FORBIDDEN, "the request carries no caller identity; sign in first"
            )
        return self.caller

    @contextlib.contextmanager
    def read(
        self,
        tenant_id: Any,
        field_name: str,
        arguments: dict[str, Any],
        error_type: ErrorType = ErrorType.BAD_REQUEST,
    ) -> Iterator[Caller]:
        """Authorize a read of one tenant's events and record it, whatever its outcome.

        Yields the caller if it may read this tenant. Raises `error_type` for
        a tenant id that is not a valid one, and FORBIDDEN for a tenant the
        caller may not read. When the block ends, an audit_log.viewed event
        records the read with the outcome success, failure (an invalid tenant
        id or any error of the query) or denied. A permitted read is recorded
        in the tenant's log; the others in the caller's own tenant's log, with
        the tenant it asked for as the target, so that no caller can add events
        to a tenant it cannot read.
        """
        caller = self.require_caller()
        try:
            requested = check_text("tenantId", tenant_id, error_type)
        except ApiError:
            self._record_in_own_log(caller, tenant_id, field_name, arguments, "failure")
            raise
        try:
            caller.require_tenant(requested)
        except ApiError:
            self._record_in_own_log(caller, requested, field_name, arguments, "denied")
            raise
        outcome = "failure"
        try:
            yield caller
            outcome = "success"
        finally:
            self._record(caller, requested, requested, field_name, arguments, outcome)

    def _record_in_own_log(
        self,
        caller: Caller,
        requested: Any,
        field_name: str,
        arguments: dict[str, Any],
        outcome: str,
    ) -> None:
        own_tenants = sorted(caller.tenants)
        if not own_tenants:
            return  # an admin without a tenant of its own has no log to record in
        target = storable(requested)[:MAX_TEXT_LENGTH] if isinstance(requested, str) else ""
        self._record(caller, own_tenants[0], target or "(missing)", field_name, arguments, outcome)

    def _record(
        self,
        caller: Caller,
        log_tenant: str,
        target_tenant: str,
        field_name: str,
        arguments: dict[str, Any],
        outcome: str,
    ) -> None:
        self.auditor.record(
            read_event(
                subject=caller.subject,
                role=caller.role,
                log_tenant=log_tenant,
                target_tenant=target_tenant,
                field_name=field_name,
                arguments=arguments,
                outcome=outcome,
                request_id=self.request_id,
            )
        )


@cache
def settings() -> ApiSettings:
    return load_settings()


@cache
def database() -> ReadDatabase:
    return ReadDatabase(connector(settings().database))


@cache
def cursor_key() -> bytes:
    """Return the cursor signing key: CURSOR_SECRET, or the secret CURSOR_SECRET_ARN names."""
    current = settings()
    if current.cursor_secret:
        return current.cursor_secret.encode("utf-8")
    # Imported here so that a cold start with CURSOR_SECRET does not load boto3.
    from aws_lambda_powertools.utilities import parameters

    if current.cursor_secret_arn is None:
        raise ConfigurationError("set CURSOR_SECRET_ARN or CURSOR_SECRET")
    value = parameters.get_secret(current.cursor_secret_arn)
    # A JSON secret contains the key under "key"; a plain-text secret is the key.
    try:
        parsed = json.loads(value)
    except (ValueError, TypeError):
        parsed = value
    key = parsed.get("key") if isinstance(parsed, dict) else parsed
    if not isinstance(key, str) or len(key) < MIN_CURSOR_KEY_LENGTH:
        raise ConfigurationError(
            f"the secret {current.cursor_secret_arn} must hold a key of at least "
            f'{MIN_CURSOR_KEY_LENGTH} characters, as plain text or as JSON {{"key": ...}}'
        )
    return key.encode("utf-8")


@cache
def read_auditor() -> ReadAuditor:
    def make_client() -> Any:
        # Imported here: boto3 is only needed once the first read is recorded.
        import boto3
        from botocore.config import Config

        return boto3.client(
            "events",
            config=Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 2}),
        )

    return ReadAuditor(settings().audit_bus_name, make_client)


def request_context(
    caller: Caller | None, request_id: str | None = None, caller_error: ApiError | None = None
) -> RequestContext:
    return RequestContext(
        caller, settings(), database(), cursor_key(), read_auditor(), request_id, caller_error
    )


def reset() -> None:
    """Forget settings and connections, so changed variables take effect (tests)."""
    if database.cache_info().currsize:
        database().close()
    if read_auditor.cache_info().currsize:
        read_auditor().flush(timeout_seconds=5)
    for cached in (settings, database, cursor_key, read_auditor):
        cached.cache_clear()
