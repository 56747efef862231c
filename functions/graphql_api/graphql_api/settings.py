"""Settings of the GraphQL API, read once from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from audit_common.settings import (
    ConfigurationError,
    DatabaseSettings,
    integer_setting,
    load_database_settings,
)

# The query cost limit (graphql_api.limits) is sized for pages and group lists up to
# these sizes. With larger settings, a full page would cost more than the limit allows.
PAGE_SIZE_LIMIT = 500
COUNT_GROUPS_LIMIT = 1000

__all__ = [
    "MIN_CURSOR_KEY_LENGTH",
    "SERVICE_NAME",
    "ApiSettings",
    "ConfigurationError",
    "load_settings",
]

SERVICE_NAME = "audit-graphql-api"
MIN_CURSOR_KEY_LENGTH = 32
ENVIRONMENTS = ("dev", "staging", "prod")


@dataclass(frozen=True)
class ApiSettings:
    database: DatabaseSettings
    environment: str
    # Key that signs pagination cursors; from CURSOR_SECRET or the secret at CURSOR_SECRET_ARN.
    cursor_secret: str | None = field(repr=False)
    cursor_secret_arn: str | None
    max_window: timedelta
    max_page_size: int
    max_count_groups: int
    # EventBridge bus that receives an audit_log.viewed event for every read; None turns it off.
    audit_bus_name: str | None = None

    @property
    def development(self) -> bool:
        return self.environment == "dev"


def load_settings(env: Mapping[str, str] | None = None) -> ApiSettings:
    """Read the API's settings; raise ConfigurationError naming any bad variable."""
    env = os.environ if env is None else env
    environment = env.get("ENVIRONMENT", "prod")
    if environment not in ENVIRONMENTS:
        raise ConfigurationError(
            f"ENVIRONMENT={environment!r} is not one of {', '.join(ENVIRONMENTS)}"
        )
    cursor_secret = env.get("CURSOR_SECRET") or None
    cursor_secret_arn = env.get("CURSOR_SECRET_ARN") or None
    if not cursor_secret and not cursor_secret_arn:
        raise ConfigurationError(
            "no cursor signing key: set CURSOR_SECRET_ARN to a Secrets Manager secret, "
            "or CURSOR_SECRET"
        )
    if cursor_secret is not None and len(cursor_secret) < MIN_CURSOR_KEY_LENGTH:
        raise ConfigurationError(
            f"CURSOR_SECRET is shorter than {MIN_CURSOR_KEY_LENGTH} characters; use a random key"
        )
    return ApiSettings(
        database=load_database_settings(SERVICE_NAME, env),
        environment=environment,
        cursor_secret=cursor_secret,
        cursor_secret_arn=cursor_secret_arn,
        max_window=timedelta(days=integer_setting(env, "MAX_WINDOW_DAYS", 93, 1)),
        max_page_size=integer_setting(env, "MAX_PAGE_SIZE", 500, 1, PAGE_SIZE_LIMIT),
        max_count_groups=integer_setting(env, "MAX_COUNT_GROUPS", 1000, 1, COUNT_GROUPS_LIMIT),
        audit_bus_name=env.get("AUDIT_BUS_NAME") or None,
    )
