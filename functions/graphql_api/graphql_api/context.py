"""What every resolver gets in info.context: the caller, the settings and the database."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import cache
from typing import Any

from audit_common.database import ConnectionHolder, connector
from graphql_api.caller import Caller
from graphql_api.errors import ApiError, ErrorType
from graphql_api.settings import ApiSettings, load_settings

logger = logging.getLogger(__name__)


class ReadDatabase:
    """The reader role's connection, kept across invocations of a warm Lambda."""

    def __init__(self, holder: ConnectionHolder) -> None:
        self._holder = holder

    def fetch(self, sql: str, **params: Any) -> list[list[Any]]:
        return self._holder.call(lambda connection: connection.run(sql, **params))

    def close(self) -> None:
        self._holder.discard()


@dataclass(frozen=True)
class RequestContext:
    caller: Caller | None
    settings: ApiSettings
    database: ReadDatabase
    cursor_key: bytes
    request_id: str | None = None

    def authorize(self, tenant_id: str) -> None:
        """Raise FORBIDDEN unless the caller may read this tenant's events."""
        if self.caller is None:
            raise ApiError(
                ErrorType.FORBIDDEN, "the request carries no caller identity; sign in first"
            )
        self.caller.require_tenant(tenant_id)


@cache
def settings() -> ApiSettings:
    return load_settings()


@cache
def database() -> ReadDatabase:
    return ReadDatabase(ConnectionHolder(connector(settings().database)))


@cache
def cursor_key() -> bytes:
    """The cursor signing key: CURSOR_SECRET, or the secret CURSOR_SECRET_ARN names."""
    current = settings()
    if current.cursor_secret:
        return current.cursor_secret.encode("utf-8")
    # Imported here so that a cold start with CURSOR_SECRET does not load boto3.
    from aws_lambda_powertools.utilities import parameters

    value = parameters.get_secret(current.cursor_secret_arn)
    try:
        # A JSON secret holds the key under "key"; a plain-text secret is the key.
        value = json.loads(value)["key"]
    except (ValueError, TypeError, KeyError):
        pass
    return str(value).encode("utf-8")


def request_context(caller: Caller | None, request_id: str | None = None) -> RequestContext:
    return RequestContext(caller, settings(), database(), cursor_key(), request_id)


def reset() -> None:
    """Forget settings and connections, so changed variables take effect (tests)."""
    if database.cache_info().currsize:
        database().close()
    for cached in (settings, database, cursor_key):
        cached.cache_clear()
