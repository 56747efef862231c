"""Subscriber settings, read once from the environment."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

SERVICE_NAME = "audit-subscriber"
SSL_MODES = ("disable", "require", "verify-full")


class ConfigurationError(ValueError):
    """An environment variable is missing or invalid."""


@dataclass(frozen=True)
class DatabaseSettings:
    """Where the database is and how to log in.

    Credentials come from the Secrets Manager secret named by DB_SECRET_ARN
    (JSON with ``username`` and ``password``, and optionally ``host``,
    ``port`` and ``dbname``, as RDS secrets have), or from DB_USER and
    DB_PASSWORD when no secret is configured.
    """

    host: str | None
    port: int
    name: str
    user: str | None
    password: str | None = field(repr=False)
    secret_arn: str | None
    ssl_mode: str
    ssl_root_cert: str | None
    connect_timeout_seconds: float
    statement_timeout_seconds: int


@dataclass(frozen=True)
class Settings:
    database: DatabaseSettings
    # AWS account id -> tenant id for AWS (CloudTrail) events; "*" matches any other account.
    account_tenants: Mapping[str, str]
    max_event_bytes: int
    max_metadata_bytes: int


def _integer(env: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name}={raw!r} is not an integer") from None
    if value < minimum:
        raise ConfigurationError(f"{name}={value} is below the minimum of {minimum}")
    return value


def _account_tenants(raw: str | None) -> dict[str, str]:
    if not raw:
        return {}
    try:
        mapping = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ConfigurationError(
            f"AWS_ACCOUNT_TENANTS is not valid JSON ({error.msg}); expected an object such as "
            '{"123456789012": "tenant-a", "*": "platform"}'
        ) from None
    if not isinstance(mapping, dict) or not all(
        isinstance(key, str) and isinstance(value, str) and value for key, value in mapping.items()
    ):
        raise ConfigurationError(
            "AWS_ACCOUNT_TENANTS must map account ids (strings) to non-empty tenant ids"
        )
    return mapping


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read the subscriber's settings; raise ConfigurationError naming any bad variable."""
    env = os.environ if env is None else env
    ssl_mode = env.get("DB_SSLMODE", "require")
    if ssl_mode not in SSL_MODES:
        raise ConfigurationError(f"DB_SSLMODE={ssl_mode!r} is not one of {', '.join(SSL_MODES)}")
    secret_arn = env.get("DB_SECRET_ARN") or None
    if not secret_arn and not env.get("DB_USER"):
        raise ConfigurationError(
            "no database credentials: set DB_SECRET_ARN to a Secrets Manager secret, "
            "or DB_USER and DB_PASSWORD"
        )
    database = DatabaseSettings(
        host=env.get("DB_HOST") or None,
        port=_integer(env, "DB_PORT", 5432, 1),
        name=env.get("DB_NAME", "audit"),
        user=env.get("DB_USER") or None,
        password=env.get("DB_PASSWORD"),
        secret_arn=secret_arn,
        ssl_mode=ssl_mode,
        ssl_root_cert=env.get("DB_SSL_ROOT_CERT") or None,
        connect_timeout_seconds=float(_integer(env, "DB_CONNECT_TIMEOUT_SECONDS", 5, 1)),
        statement_timeout_seconds=_integer(env, "DB_STATEMENT_TIMEOUT_SECONDS", 30, 1),
    )
    return Settings(
        database=database,
        account_tenants=_account_tenants(env.get("AWS_ACCOUNT_TENANTS")),
        # SQS and EventBridge both accept messages of up to 1 MiB.
        max_event_bytes=_integer(env, "MAX_EVENT_BYTES", 1_048_576, 1024),
        max_metadata_bytes=_integer(env, "MAX_METADATA_BYTES", 32_768, 0),
    )
