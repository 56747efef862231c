"""The GraphQL API's settings, and the local server's refusal to run outside development."""

from __future__ import annotations

import pytest

from audit_common.settings import ConfigurationError
from graphql_api.settings import load_settings

BASE = {"DB_USER": "reader", "CURSOR_SECRET": "k" * 40}


def test_defaults():
    settings = load_settings(BASE)

    assert settings.environment == "prod"
    assert settings.max_page_size == 500
    assert settings.max_window.days == 93
    assert settings.development is False


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DB_USER": "reader"}, "CURSOR_SECRET"),
        ({**BASE, "CURSOR_SECRET": "short"}, "CURSOR_SECRET"),
        ({**BASE, "ENVIRONMENT": "qa"}, "ENVIRONMENT"),
        ({**BASE, "MAX_WINDOW_DAYS": "0"}, "MAX_WINDOW_DAYS"),
        ({**BASE, "MAX_PAGE_SIZE": "501"}, "MAX_PAGE_SIZE=501 is above the maximum of 500"),
        ({**BASE, "MAX_COUNT_GROUPS": "1001"}, "MAX_COUNT_GROUPS"),
    ],
)
def test_invalid_setting_is_named(env, named):
    with pytest.raises(ConfigurationError, match=named):
        load_settings(env)


def test_cursor_secret_not_in_repr():
    assert "k" * 40 not in repr(load_settings(BASE))


def test_local_server_refuses_production(monkeypatch):
    from graphql_api import context, server

    for name, value in {**BASE, "ENVIRONMENT": "prod"}.items():
        monkeypatch.setenv(name, value)
    context.reset()
    try:
        with pytest.raises(ConfigurationError, match="ENVIRONMENT=dev"):
            server.create_app()
    finally:
        context.reset()
