"""Settings every function reads from its environment: the database connection."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

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
    application_name: str


def integer_setting(
    env: Mapping[str, str], name: str, default: int, minimum: int, maximum: int | None = None
) -> int:
    """Read an integer variable; raise ConfigurationError naming it when invalid."""
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name}={raw!r} is not an integer") from None
    if value < minimum:
        raise ConfigurationError(f"{name}={value} is below the minimum of {minimum}")
    if maximum is not None and value > maximum:
        raise ConfigurationError(f"{name}={value} is above the maximum of {maximum}")
    return value


def load_database_settings(
    application_name: str, env: Mapping[str, str] | None = None
) -> DatabaseSettings:
    """Read the DB_* variables; raise ConfigurationError naming any bad one."""
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
    return DatabaseSettings(
        host=env.get("DB_HOST") or None,
        port=integer_setting(env, "DB_PORT", 5432, 1),
        name=env.get("DB_NAME", "audit"),
        user=env.get("DB_USER") or None,
        password=env.get("DB_PASSWORD"),
        secret_arn=secret_arn,
        ssl_mode=ssl_mode,
        ssl_root_cert=env.get("DB_SSL_ROOT_CERT") or None,
        connect_timeout_seconds=float(integer_setting(env, "DB_CONNECT_TIMEOUT_SECONDS", 5, 1)),
        statement_timeout_seconds=integer_setting(env, "DB_STATEMENT_TIMEOUT_SECONDS", 30, 1),
        application_name=application_name,
    )
