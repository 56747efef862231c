"""Reading the subscriber's settings from the environment."""

from __future__ import annotations

import pytest

from subscriber.config import ConfigurationError, load_settings


def test_defaults():
    settings = load_settings({"DB_USER": "writer"})

    assert settings.database.port == 5432
    assert settings.database.name == "audit"
    assert settings.database.ssl_mode == "require"
    assert settings.max_event_bytes == 1_048_576
    assert settings.account_tenants == {}


def test_account_tenants_parsed():
    settings = load_settings(
        {"DB_USER": "w", "AWS_ACCOUNT_TENANTS": '{"123456789012": "acme", "*": "platform"}'}
    )

    assert settings.account_tenants == {"123456789012": "acme", "*": "platform"}


def test_password_not_in_repr():
    settings = load_settings({"DB_USER": "w", "DB_PASSWORD": "s3cret"})

    assert "s3cret" not in repr(settings)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "DB_SECRET_ARN"),
        ({"DB_USER": "w", "DB_PORT": "five"}, "DB_PORT"),
        ({"DB_USER": "w", "DB_SSLMODE": "prefer"}, "DB_SSLMODE"),
        ({"DB_USER": "w", "MAX_EVENT_BYTES": "10"}, "MAX_EVENT_BYTES"),
        ({"DB_USER": "w", "AWS_ACCOUNT_TENANTS": "{not json"}, "AWS_ACCOUNT_TENANTS"),
        ({"DB_USER": "w", "AWS_ACCOUNT_TENANTS": '{"1": ""}'}, "AWS_ACCOUNT_TENANTS"),
    ],
)
def test_invalid_setting_is_named(env, named):
    with pytest.raises(ConfigurationError, match=named):
        load_settings(env)
