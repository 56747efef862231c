"""Subscriber settings, read once from the environment."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass

from audit_common.settings import (
    ConfigurationError,
    DatabaseSettings,
    integer_setting,
    load_database_settings,
)

__all__ = ["SERVICE_NAME", "ConfigurationError", "Settings", "load_settings"]

SERVICE_NAME = "audit-subscriber"


@dataclass(frozen=True)
class Settings:
    database: DatabaseSettings
    # AWS account id -> tenant id for AWS (CloudTrail) events; "*" matches any other account.
    account_tenants: Mapping[str, str]
    max_event_bytes: int
    max_metadata_bytes: int


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
    return Settings(
        database=load_database_settings(SERVICE_NAME, env),
        account_tenants=_account_tenants(env.get("AWS_ACCOUNT_TENANTS")),
        # SQS and EventBridge both accept messages of up to 1 MiB.
        max_event_bytes=integer_setting(env, "MAX_EVENT_BYTES", 1_048_576, 1024),
        max_metadata_bytes=integer_setting(env, "MAX_METADATA_BYTES", 32_768, 0),
    )
