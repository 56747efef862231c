"""The authorizer's claim mapping on Cognito, Auth0 and Okta token shapes, and its settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audit_common.settings import ConfigurationError
from authorizer.claims import claim_values, map_claims
from authorizer.errors import AccessDenied, DenyReason
from authorizer.settings import ROLES, load_settings
from graphql_api.caller import ROLES as API_ROLES
from graphql_api.caller import caller_from_claims

TOKEN_FIXTURES = sorted((Path(__file__).parents[1] / "fixtures" / "tokens").glob("*.json"))
BASE = {"JWT_ISSUER": "https://issuer.example.com", "JWT_AUDIENCE": "audit-api"}
SUBJECT = "user-1"


def load_fixture(path: Path) -> dict:
    return json.loads(path.read_text())


def mapping(**env: str):
    return load_settings({**BASE, **env}).claims


def denial(claims: dict, **env: str) -> AccessDenied:
    with pytest.raises(AccessDenied) as raised:
        map_claims(claims, mapping(**env))
    return raised.value


# -- Identity provider token shapes -------------------------------------------------


@pytest.mark.parametrize("path", TOKEN_FIXTURES, ids=lambda path: path.stem)
def test_fixture_maps_to_expected(path):
    fixture = load_fixture(path)
    settings = load_settings(fixture["environment"])

    entitlements = map_claims(fixture["claims"], settings.claims)

    assert entitlements.subject == fixture["expected"]["sub"]
    assert list(entitlements.tenants) == fixture["expected"]["tenants"]
    assert entitlements.role == fixture["expected"]["role"]


@pytest.mark.parametrize("path", TOKEN_FIXTURES, ids=lambda path: path.stem)
def test_fixture_context_read_by_api(path):
    fixture = load_fixture(path)
    entitlements = map_claims(fixture["claims"], load_settings(fixture["environment"]).claims)

    caller = caller_from_claims(entitlements.resolver_context())

    assert caller.subject == fixture["expected"]["sub"]
    assert caller.tenants == frozenset(fixture["expected"]["tenants"])
    assert caller.role == fixture["expected"]["role"]


def test_fixtures_cover_three_providers():
    names = [path.stem for path in TOKEN_FIXTURES]

    assert any(name.startswith("cognito-") for name in names)
    assert any(name.startswith("auth0-") for name in names)
    assert any(name.startswith("okta-") for name in names)


def test_roles_match_api():
    assert ROLES == API_ROLES


# -- resolverContext and deniedFields -------------------------------------------------


def test_resolver_context_values_are_strings():
    entitlements = map_claims(
        {"sub": SUBJECT, "custom:tenant_id": ["b", "a"], "custom:role": "viewer"}, mapping()
    )

    context = entitlements.resolver_context()

    assert context == {"sub": SUBJECT, "tenants": '["a", "b"]', "role": "viewer"}
    assert all(isinstance(value, str) for value in context.values())


@pytest.mark.parametrize(
    ("role", "denied"),
    [("viewer", ["AuditEvent.original"]), ("auditor", []), ("admin", [])],
)
def test_denied_fields_by_role(role, denied):
    entitlements = map_claims(
        {"sub": SUBJECT, "custom:tenant_id": "acme", "custom:role": role}, mapping()
    )

    assert entitlements.denied_fields() == denied


# -- Roles ----------------------------------------------------------------------------


def test_default_role_is_viewer():
    entitlements = map_claims({"sub": SUBJECT, "custom:tenant_id": "acme"}, mapping())

    assert entitlements.role == "viewer"


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        (["viewer", "auditor"], "auditor"),
        (["auditor", "viewer"], "auditor"),
        (["viewer", "admin", "auditor"], "admin"),
    ],
)
def test_highest_role_wins(roles, expected):
    entitlements = map_claims(
        {"sub": SUBJECT, "custom:tenant_id": "acme", "custom:role": roles}, mapping()
    )

    assert entitlements.role == expected


def test_role_claim_and_group_combined():
    claims = {
        "sub": SUBJECT,
        "custom:tenant_id": "acme",
        "custom:role": "viewer",
        "cognito:groups": ["role-auditor"],
    }

    entitlements = map_claims(claims, mapping(ROLE_GROUP_PREFIX="role-"))

    assert entitlements.role == "auditor"


@pytest.mark.parametrize("role", ["superuser", "Admin", "VIEWER", "auditors"])
def test_unknown_role_claim_denied(role):
    denied = denial({"sub": SUBJECT, "custom:tenant_id": "acme", "custom:role": role})

    assert denied.reason is DenyReason.UNKNOWN_ROLE
    assert repr(role) in denied.message


def test_unknown_role_group_denied():
    claims = {"sub": SUBJECT, "custom:tenant_id": "acme", "cognito:groups": ["role-owner"]}

    denied = denial(claims, ROLE_GROUP_PREFIX="role-")

    assert denied.reason is DenyReason.UNKNOWN_ROLE
    assert "'owner'" in denied.message


def test_unknown_role_beside_known_denied():
    claims = {"sub": SUBJECT, "custom:tenant_id": "acme", "custom:role": ["auditor", "root"]}

    assert denial(claims).reason is DenyReason.UNKNOWN_ROLE


def test_groups_without_prefix_ignored():
    claims = {
        "sub": SUBJECT,
        "custom:tenant_id": "acme",
        "cognito:groups": ["role-admin", "tenant-globex"],
    }

    entitlements = map_claims(claims, mapping())

    assert entitlements.role == "viewer"
    assert entitlements.tenants == ("acme",)


def test_group_prefix_matches_start_only():
    claims = {"sub": SUBJECT, "cognito:groups": ["xtenant-acme", "my-tenant-globex"]}

    denied = denial(claims, TENANT_GROUP_PREFIX="tenant-")

    assert denied.reason is DenyReason.MISSING_TENANT


def test_missing_role_without_default_denied():
    denied = denial({"sub": SUBJECT, "custom:tenant_id": "acme"}, DEFAULT_ROLE="")

    assert denied.reason is DenyReason.MISSING_ROLE


# -- Tenants --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("acme", ("acme",)),
        ("acme,globex", ("acme", "globex")),
        (" globex , acme ,, ", ("acme", "globex")),
        (["globex", "acme", "acme"], ("acme", "globex")),
        (["acme, inc."], ("acme, inc.",)),
    ],
)
def test_tenant_claim_shapes(value, expected):
    entitlements = map_claims({"sub": SUBJECT, "custom:tenant_id": value}, mapping())

    assert entitlements.tenants == expected


def test_namespaced_tenant_claim():
    claims = {"sub": SUBJECT, "https://audit.example.com/tenants": ["acme"]}

    entitlements = map_claims(claims, mapping(TENANT_CLAIM="https://audit.example.com/tenants"))

    assert entitlements.tenants == ("acme",)


def test_tenants_from_claim_and_groups_merged():
    claims = {
        "sub": SUBJECT,
        "custom:tenant_id": "acme",
        "cognito:groups": ["tenant-acme", "tenant-globex"],
    }

    entitlements = map_claims(claims, mapping(TENANT_GROUP_PREFIX="tenant-"))

    assert entitlements.tenants == ("acme", "globex")


def test_groups_claim_configurable():
    claims = {"sub": SUBJECT, "groups": ["audit-tenant-acme"], "cognito:groups": ["audit-tenant-x"]}

    entitlements = map_claims(
        claims, mapping(GROUPS_CLAIM="groups", TENANT_GROUP_PREFIX="audit-tenant-")
    )

    assert entitlements.tenants == ("acme",)


@pytest.mark.parametrize("claims", [{}, {"custom:tenant_id": ""}, {"custom:tenant_id": [" "]}])
def test_missing_tenant_denied(claims):
    denied = denial({"sub": SUBJECT, **claims})

    assert denied.reason is DenyReason.MISSING_TENANT
    assert "'custom:tenant_id'" in denied.message


def test_missing_tenant_names_group_source():
    denied = denial({"sub": SUBJECT}, TENANT_GROUP_PREFIX="tenant-")

    assert "'tenant-'" in denied.message
    assert "'cognito:groups'" in denied.message


def test_admin_without_tenant_allowed():
    entitlements = map_claims({"sub": SUBJECT, "custom:role": "admin"}, mapping())

    assert entitlements.role == "admin"
    assert entitlements.tenants == ()


@pytest.mark.parametrize("value", [42, {"id": "acme"}, ["acme", 7], True])
def test_tenant_claim_of_wrong_type_denied(value):
    denied = denial({"sub": SUBJECT, "custom:tenant_id": value})

    assert denied.reason is DenyReason.INVALID_CLAIM
    assert "'custom:tenant_id'" in denied.message


def test_groups_claim_of_wrong_type_denied():
    claims = {"sub": SUBJECT, "custom:tenant_id": "acme", "cognito:groups": {"a": 1}}

    denied = denial(claims, TENANT_GROUP_PREFIX="tenant-")

    assert denied.reason is DenyReason.INVALID_CLAIM


def test_overlong_tenant_denied():
    denied = denial({"sub": SUBJECT, "custom:tenant_id": "t" * 257})

    assert denied.reason is DenyReason.INVALID_CLAIM


@pytest.mark.parametrize("subject", [None, "", "  ", 17])
def test_missing_subject_denied(subject):
    claims = {"custom:tenant_id": "acme"}
    if subject is not None:
        claims["sub"] = subject

    assert denial(claims).reason is DenyReason.MISSING_CLAIM


def test_claim_values_absent_claim():
    assert claim_values({}, "groups") == []


# -- Settings -------------------------------------------------------------------------


def test_settings_defaults():
    settings = load_settings(BASE)

    assert settings.issuer == "https://issuer.example.com"
    assert settings.audiences == ("audit-api",)
    assert settings.jwks_url == "https://issuer.example.com/.well-known/jwks.json"
    assert settings.algorithms == ("RS256", "ES256")
    assert settings.leeway_seconds == 60
    assert settings.jwks_refresh_min_interval_seconds == 60
    assert settings.jwks_cache_seconds == 300
    assert settings.jwks_timeout_seconds == 3
    assert settings.max_ttl_seconds == 300
    assert settings.claims.tenant_claim == "custom:tenant_id"
    assert settings.claims.tenant_group_prefix is None
    assert settings.claims.groups_claim == "cognito:groups"
    assert settings.claims.role_claim == "custom:role"
    assert settings.claims.role_group_prefix is None
    assert settings.claims.default_role == "viewer"


def test_jwks_url_from_issuer_with_slash():
    settings = load_settings({**BASE, "JWT_ISSUER": "https://acme.eu.auth0.com/"})

    assert settings.jwks_url == "https://acme.eu.auth0.com/.well-known/jwks.json"


def test_several_audiences():
    settings = load_settings({**BASE, "JWT_AUDIENCE": "web-client, mobile-client"})

    assert settings.audiences == ("web-client", "mobile-client")


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9999/.well-known/jwks.json", "http://localhost/jwks"]
)
def test_http_jwks_url_on_loopback_accepted(url):
    assert load_settings({**BASE, "JWKS_URL": url}).jwks_url == url


def test_algorithm_list_parsed():
    settings = load_settings({**BASE, "JWT_ALGORITHMS": " ES256 ,PS256,ES256"})

    assert settings.algorithms == ("ES256", "PS256")


def test_default_role_empty_means_none():
    assert load_settings({**BASE, "DEFAULT_ROLE": ""}).claims.default_role is None


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"JWT_AUDIENCE": "a"}, "JWT_ISSUER"),
        ({"JWT_ISSUER": "https://i.example.com"}, "JWT_AUDIENCE"),
        ({**BASE, "JWT_AUDIENCE": " , "}, "JWT_AUDIENCE"),
        ({**BASE, "JWT_ALGORITHMS": "none"}, "'none'"),
        ({**BASE, "JWT_ALGORITHMS": "RS256,None"}, "'none'"),
        ({**BASE, "JWT_ALGORITHMS": "RS256,HS256"}, "HS256"),
        ({**BASE, "JWT_ALGORITHMS": "hs512"}, "hs512"),
        ({**BASE, "JWT_ALGORITHMS": "RS999"}, "RS999"),
        ({**BASE, "JWT_ALGORITHMS": " , "}, "JWT_ALGORITHMS"),
        ({**BASE, "JWKS_URL": "http://keys.example.com/jwks.json"}, "JWKS_URL"),
        ({**BASE, "JWKS_URL": "file:///etc/jwks.json"}, "JWKS_URL"),
        ({**BASE, "JWT_ISSUER": "acme"}, "JWKS_URL"),
        ({**BASE, "JWT_LEEWAY_SECONDS": "a minute"}, "JWT_LEEWAY_SECONDS"),
        ({**BASE, "JWT_LEEWAY_SECONDS": "-1"}, "JWT_LEEWAY_SECONDS"),
        ({**BASE, "JWKS_REFRESH_MIN_INTERVAL_SECONDS": "0"}, "JWKS_REFRESH_MIN_INTERVAL_SECONDS"),
        ({**BASE, "JWKS_CACHE_SECONDS": "0"}, "JWKS_CACHE_SECONDS"),
        ({**BASE, "JWKS_TIMEOUT_SECONDS": "0"}, "JWKS_TIMEOUT_SECONDS"),
        ({**BASE, "AUTH_MAX_TTL_SECONDS": "3601"}, "AUTH_MAX_TTL_SECONDS"),
        ({**BASE, "AUTH_MAX_TTL_SECONDS": "-5"}, "AUTH_MAX_TTL_SECONDS"),
        ({**BASE, "DEFAULT_ROLE": "superuser"}, "DEFAULT_ROLE"),
        ({**BASE, "DEFAULT_ROLE": "admin"}, "DEFAULT_ROLE=admin"),
        ({**BASE, "TENANT_CLAIM": ""}, "TENANT_CLAIM"),
    ],
)
def test_invalid_setting_is_named(env, named):
    with pytest.raises(ConfigurationError, match=named):
        load_settings(env)


@pytest.mark.parametrize("role", ["viewer,admin", " admin ", "admin ", "Admin"])
def test_role_written_loosely_is_unknown(role):
    with pytest.raises(AccessDenied) as raised:
        map_claims({"sub": SUBJECT, "custom:tenant_id": "acme", "custom:role": role}, mapping())

    assert raised.value.reason is DenyReason.UNKNOWN_ROLE


@pytest.mark.parametrize("subject", ["a\x00b", "x" * 257, "lone \ud800"])
def test_unstorable_subject_is_denied(subject):
    with pytest.raises(AccessDenied) as raised:
        map_claims({"sub": subject, "custom:tenant_id": "acme"}, mapping())

    assert raised.value.reason is DenyReason.INVALID_CLAIM
