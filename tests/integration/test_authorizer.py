"""The JWT authorizer with real keys, against a JWKS served over HTTP on 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from conftest import LambdaContext
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from dev_tokens import JwksServer, KeyStore, SigningKey, dev_claims

from authorizer.authorize import PERMANENT_DENY_TTL_SECONDS, Authorizer
from authorizer.errors import DenyReason
from authorizer.settings import load_settings

pytestmark = pytest.mark.integration

ISSUER = "https://issuer.audit-log.invalid/test"
AUDIENCE = "audit-api"
LEEWAY = 60
MAX_TTL = 300
# Margin that keeps the leeway tests clear of the seconds that pass while they run.
MARGIN = 10


# -- Keys, server and tokens ----------------------------------------------------------


@pytest.fixture(scope="module")
def key_store(tmp_path_factory: pytest.TempPathFactory) -> KeyStore:
    store = KeyStore(tmp_path_factory.mktemp("keys"))
    store.ensure_keys()
    return store


@pytest.fixture(scope="module")
def rsa_key(key_store: KeyStore) -> SigningKey:
    key = key_store.newest("rsa")
    assert key is not None
    return key


@pytest.fixture(scope="module")
def ec_key(key_store: KeyStore) -> SigningKey:
    key = key_store.newest("ec")
    assert key is not None
    return key


@pytest.fixture(scope="module")
def stranger_key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    """A key whose kid the served JWKS does not list."""
    return KeyStore(tmp_path_factory.mktemp("stranger-keys")).add_key("rsa")


@pytest.fixture
def jwks_server(key_store: KeyStore) -> Iterator[JwksServer]:
    with JwksServer(key_store) as server:
        yield server


def environment(server: JwksServer, **overrides: str) -> dict[str, str]:
    return {
        "JWT_ISSUER": ISSUER,
        "JWT_AUDIENCE": AUDIENCE,
        "JWKS_URL": server.url,
        "JWT_LEEWAY_SECONDS": str(LEEWAY),
        "AUTH_MAX_TTL_SECONDS": str(MAX_TTL),
        **overrides,
    }


def make_authorizer(server: JwksServer, **overrides: str) -> Authorizer:
    return Authorizer(load_settings(environment(server, **overrides)))


@pytest.fixture
def authorizer(jwks_server: JwksServer) -> Authorizer:
    return make_authorizer(jwks_server)


def claims(**changes: Any) -> dict[str, Any]:
    """Return the claims of a valid viewer token for acme-corp. A None change removes a claim."""
    result = dev_claims(
        tenants=["acme-corp"], role="viewer", subject="user-1", issuer=ISSUER, audience=AUDIENCE
    )
    for name, value in changes.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = value
    return result


def base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def json_segment(value: dict[str, Any]) -> str:
    return base64url(json.dumps(value).encode())


def unsigned_token(header: dict[str, Any], payload: dict[str, Any]) -> str:
    return f"{json_segment(header)}.{json_segment(payload)}."


def hmac_token(header: dict[str, Any], payload: dict[str, Any], secret: bytes) -> str:
    # Built by hand: PyJWT refuses to use a PEM public key as an HMAC secret.
    signing_input = f"{json_segment(header)}.{json_segment(payload)}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64url(signature)}"


def denial_reason(authorizer: Authorizer, token: str) -> DenyReason | None:
    decision = authorizer.decide(token)
    assert decision.is_authorized is False
    return decision.reason


# -- Valid tokens ---------------------------------------------------------------------


def test_rs256_viewer_allowed(authorizer, rsa_key):
    token = rsa_key.sign(claims(exp=int(time.time()) + 3600))

    response = authorizer.authorize_event(
        {
            "authorizationToken": token,
            "requestContext": {
                "apiId": "api-1",
                "accountId": "123456789012",
                "requestId": "request-1",
                "queryString": "{ auditEvents { edges { cursor } } }",
                "operationName": None,
                "variables": {},
            },
            "requestHeaders": {"authorization": token},
        }
    )

    assert response["isAuthorized"] is True
    assert response["resolverContext"] == {
        "sub": "user-1",
        "tenants": '["acme-corp"]',
        "role": "viewer",
    }
    assert response["deniedFields"] == ["AuditEvent.original"]
    assert response["ttlOverride"] == MAX_TTL


def test_es256_auditor_allowed(authorizer, ec_key):
    token = ec_key.sign(claims(**{"custom:role": "auditor", "custom:tenant_id": "globex,acme"}))

    response = authorizer.decide(token).to_response()

    assert response["isAuthorized"] is True
    assert response["resolverContext"]["role"] == "auditor"
    assert response["resolverContext"]["tenants"] == '["acme", "globex"]'
    assert response["deniedFields"] == []


def test_admin_without_tenant_allowed(authorizer, rsa_key):
    token = rsa_key.sign(claims(**{"custom:role": "admin", "custom:tenant_id": None}))

    response = authorizer.decide(token).to_response()

    assert response["isAuthorized"] is True
    assert response["resolverContext"]["tenants"] == "[]"
    assert response["deniedFields"] == []


def test_ttl_within_remaining_lifetime(authorizer, rsa_key):
    expires_at = int(time.time()) + 120
    token = rsa_key.sign(claims(exp=expires_at))
    remaining = expires_at - time.time()

    decision = authorizer.decide(token)

    assert decision.is_authorized is True
    assert decision.ttl_seconds <= remaining
    assert decision.ttl_seconds >= 120 - MARGIN


def test_ttl_capped_by_setting(jwks_server, rsa_key):
    authorizer = make_authorizer(jwks_server, AUTH_MAX_TTL_SECONDS="0")

    decision = authorizer.decide(rsa_key.sign(claims()))

    assert decision.is_authorized is True
    assert decision.ttl_seconds == 0


def test_audience_list_with_ours_allowed(authorizer, rsa_key):
    token = rsa_key.sign(claims(aud=["https://other.example.com", AUDIENCE]))

    assert authorizer.decide(token).is_authorized is True


@pytest.mark.parametrize("prefix", ["Bearer ", "bearer ", "  BEARER   "])
def test_bearer_prefix_accepted(authorizer, rsa_key, prefix):
    decision = authorizer.decide(prefix + rsa_key.sign(claims()) + " ")

    assert decision.is_authorized is True


# -- Leeway at the edges --------------------------------------------------------------


def test_exp_inside_leeway_allowed(authorizer, rsa_key):
    token = rsa_key.sign(claims(exp=int(time.time()) - LEEWAY + MARGIN))

    decision = authorizer.decide(token)

    assert decision.is_authorized is True
    assert decision.ttl_seconds == 0


def test_exp_beyond_leeway_denied(authorizer, rsa_key):
    token = rsa_key.sign(claims(exp=int(time.time()) - LEEWAY - MARGIN))

    assert denial_reason(authorizer, token) is DenyReason.EXPIRED


def test_nbf_inside_leeway_allowed(authorizer, rsa_key):
    token = rsa_key.sign(claims(nbf=int(time.time()) + LEEWAY - MARGIN))

    assert authorizer.decide(token).is_authorized is True


def test_iat_inside_leeway_allowed(authorizer, rsa_key):
    token = rsa_key.sign(claims(iat=int(time.time()) + LEEWAY - MARGIN))

    assert authorizer.decide(token).is_authorized is True


def test_zero_leeway_denies_recent_expiry(jwks_server, rsa_key):
    authorizer = make_authorizer(jwks_server, JWT_LEEWAY_SECONDS="0")
    token = rsa_key.sign(claims(exp=int(time.time()) - MARGIN))

    assert denial_reason(authorizer, token) is DenyReason.EXPIRED


# -- Attacks and invalid tokens: each denied for its own reason ---------------------------


@pytest.mark.parametrize("algorithm", ["none", "None", "NONE"])
def test_alg_none_denied(authorizer, rsa_key, algorithm):
    token = unsigned_token({"alg": algorithm, "typ": "JWT", "kid": rsa_key.kid}, claims())

    assert denial_reason(authorizer, token) is DenyReason.ALGORITHM_NOT_ALLOWED


def test_hs256_with_public_key_denied(authorizer, rsa_key):
    header = {"alg": "HS256", "typ": "JWT", "kid": rsa_key.kid}
    token = hmac_token(header, claims(), rsa_key.public_pem())

    assert denial_reason(authorizer, token) is DenyReason.ALGORITHM_NOT_ALLOWED


def test_hs256_with_jwk_text_denied(authorizer, rsa_key):
    header = {"alg": "HS256", "typ": "JWT", "kid": rsa_key.kid}
    token = hmac_token(header, claims(), json.dumps(rsa_key.public_jwk()).encode())

    assert denial_reason(authorizer, token) is DenyReason.ALGORITHM_NOT_ALLOWED


@pytest.mark.parametrize("algorithm", ["RS512", "PS256"])
def test_algorithm_outside_allow_list_denied(authorizer, rsa_key, algorithm):
    token = rsa_key.sign(claims(), algorithm=algorithm)

    assert denial_reason(authorizer, token) is DenyReason.ALGORITHM_NOT_ALLOWED


def test_algorithm_differing_from_jwk_denied(jwks_server, rsa_key):
    # PS256 is allowed, but the JWK with this kid declares RS256.
    authorizer = make_authorizer(jwks_server, JWT_ALGORITHMS="RS256,PS256")
    token = rsa_key.sign(claims(), algorithm="PS256")

    assert denial_reason(authorizer, token) is DenyReason.ALGORITHM_NOT_ALLOWED


def test_ec_token_with_rsa_kid_denied(authorizer, rsa_key, ec_key):
    token = ec_key.sign(claims(), headers={"kid": rsa_key.kid})

    assert denial_reason(authorizer, token) is DenyReason.ALGORITHM_NOT_ALLOWED


def test_signature_from_other_key_denied(authorizer, rsa_key, stranger_key):
    token = stranger_key.sign(claims(), headers={"kid": rsa_key.kid})

    assert denial_reason(authorizer, token) is DenyReason.INVALID_SIGNATURE


def test_tampered_payload_denied(authorizer, rsa_key):
    genuine = rsa_key.sign(claims())
    forged = rsa_key.sign(claims(**{"custom:tenant_id": ["globex"], "custom:role": "admin"}))
    header, _, signature = genuine.split(".")
    token = ".".join([header, forged.split(".")[1], signature])

    assert denial_reason(authorizer, token) is DenyReason.INVALID_SIGNATURE


def test_expired_denied(authorizer, rsa_key):
    now = int(time.time())
    token = rsa_key.sign(claims(iat=now - 7200, nbf=now - 7200, exp=now - 3600))

    decision = authorizer.decide(token)

    assert decision.is_authorized is False
    assert decision.reason is DenyReason.EXPIRED
    assert decision.ttl_seconds == PERMANENT_DENY_TTL_SECONDS


def test_nbf_beyond_leeway_denied(authorizer, rsa_key):
    token = rsa_key.sign(claims(nbf=int(time.time()) + LEEWAY + MARGIN))

    decision = authorizer.decide(token)

    assert decision.is_authorized is False
    assert decision.reason is DenyReason.NOT_YET_VALID
    assert decision.ttl_seconds == 0


def test_iat_beyond_leeway_denied(authorizer, rsa_key):
    token = rsa_key.sign(claims(iat=int(time.time()) + LEEWAY + MARGIN))

    decision = authorizer.decide(token)

    assert decision.is_authorized is False
    assert decision.reason is DenyReason.NOT_YET_VALID
    assert decision.ttl_seconds == 0


def test_wrong_issuer_denied(authorizer, rsa_key):
    token = rsa_key.sign(claims(iss="https://evil.example.com"))

    assert denial_reason(authorizer, token) is DenyReason.INVALID_ISSUER


def test_issuer_with_extra_slash_denied(authorizer, rsa_key):
    token = rsa_key.sign(claims(iss=ISSUER + "/"))

    assert denial_reason(authorizer, token) is DenyReason.INVALID_ISSUER


def test_wrong_audience_denied(authorizer, rsa_key):
    token = rsa_key.sign(claims(aud="another-api"))

    assert denial_reason(authorizer, token) is DenyReason.INVALID_AUDIENCE


def test_audience_list_without_ours_denied(authorizer, rsa_key):
    token = rsa_key.sign(claims(aud=["another-api", "https://issuer.example.com/userinfo"]))

    assert denial_reason(authorizer, token) is DenyReason.INVALID_AUDIENCE


@pytest.mark.parametrize("claim", ["iss", "aud", "exp", "sub"])
def test_missing_required_claim_denied(authorizer, rsa_key, claim):
    token = rsa_key.sign(claims(**{claim: None}))

    assert denial_reason(authorizer, token) is DenyReason.MISSING_CLAIM


def test_empty_subject_denied(authorizer, rsa_key):
    assert denial_reason(authorizer, rsa_key.sign(claims(sub=" "))) is DenyReason.MISSING_CLAIM


def test_exp_as_text_denied(authorizer, rsa_key):
    token = rsa_key.sign(claims(exp=str(int(time.time()) + 3600)))

    assert denial_reason(authorizer, token) is DenyReason.INVALID_CLAIM


def test_unknown_kid_denied(authorizer, stranger_key):
    decision = authorizer.decide(stranger_key.sign(claims()))

    assert decision.is_authorized is False
    assert decision.reason is DenyReason.UNKNOWN_KEY
    assert decision.ttl_seconds == 0


def test_missing_kid_denied(authorizer, rsa_key):
    token = jwt.encode(claims(), rsa_key.private_key, algorithm="RS256")

    assert denial_reason(authorizer, token) is DenyReason.MISSING_KEY_ID


def test_missing_tenant_denied(authorizer, rsa_key):
    token = rsa_key.sign(claims(**{"custom:tenant_id": None}))

    assert denial_reason(authorizer, token) is DenyReason.MISSING_TENANT


def test_unknown_role_denied(authorizer, rsa_key):
    token = rsa_key.sign(claims(**{"custom:role": "owner"}))

    assert denial_reason(authorizer, token) is DenyReason.UNKNOWN_ROLE


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_weak_rsa_key_denied(tmp_path):
    store = KeyStore(tmp_path / "keys")
    store.directory.mkdir()
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 (on purpose)
    pem = weak.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (store.directory / "rsa-weak.pem").write_bytes(pem)

    with JwksServer(store) as server:
        authorizer = make_authorizer(server)
        token = store.get("rsa-weak").sign(claims())

        assert denial_reason(authorizer, token) is DenyReason.WEAK_KEY


@pytest.mark.parametrize("value", [None, "", "   ", "Bearer", "Bearer  ", 42])
def test_missing_token_denied(authorizer, value):
    assert denial_reason(authorizer, value) is DenyReason.MISSING_TOKEN


@pytest.mark.parametrize(
    "value", ["not-a-jwt", "a.b.c", "Bearer a.b", "e30.e30.e30.e30", "Bearer a b"]
)
def test_garbage_token_denied(authorizer, value):
    assert denial_reason(authorizer, value) is DenyReason.MALFORMED_TOKEN


def test_permanent_deny_ttl_capped(jwks_server, rsa_key):
    authorizer = make_authorizer(jwks_server, AUTH_MAX_TTL_SECONDS="5")

    decision = authorizer.decide(rsa_key.sign(claims(iss="https://evil.example.com")))

    assert decision.ttl_seconds == 5


# -- The key set: unreachable, refreshed, rotated ---------------------------------------


def test_key_set_unreachable_denied_uncached(key_store, rsa_key, caplog):
    server = JwksServer(key_store).start()
    env = environment(server)
    server.stop()
    authorizer = Authorizer(load_settings(env))
    caplog.set_level(logging.WARNING, logger="authorizer")

    decision = authorizer.decide(rsa_key.sign(claims()))

    assert decision.is_authorized is False
    assert decision.reason is DenyReason.KEY_SET_UNAVAILABLE
    assert decision.to_response()["ttlOverride"] == 0
    errors = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert len(errors) == 1
    assert env["JWKS_URL"] in errors[0].error


def test_key_set_lost_after_cache_expiry(key_store, rsa_key):
    server = JwksServer(key_store).start()
    try:
        authorizer = make_authorizer(server, JWKS_CACHE_SECONDS="1")
        token = rsa_key.sign(claims())
        assert authorizer.decide(token).is_authorized is True
    finally:
        server.stop()
    time.sleep(1.2)

    decision = authorizer.decide(token)

    assert decision.reason is DenyReason.KEY_SET_UNAVAILABLE
    assert decision.ttl_seconds == 0


def test_keys_cached_between_requests(authorizer, jwks_server, rsa_key, ec_key):
    for _ in range(3):
        assert authorizer.decide(rsa_key.sign(claims())).is_authorized is True
        assert authorizer.decide(ec_key.sign(claims())).is_authorized is True

    assert jwks_server.request_count == 1


def test_unknown_kid_no_refresh_within_interval(authorizer, jwks_server, rsa_key, tmp_path):
    assert authorizer.decide(rsa_key.sign(claims())).is_authorized is True
    strangers = KeyStore(tmp_path / "strangers")

    for _ in range(3):
        token = strangers.add_key("ec").sign(claims())
        assert denial_reason(authorizer, token) is DenyReason.UNKNOWN_KEY

    assert jwks_server.request_count == 1


def test_unknown_kid_refresh_rate_limited(jwks_server, rsa_key, tmp_path):
    authorizer = make_authorizer(jwks_server, JWKS_REFRESH_MIN_INTERVAL_SECONDS="1")
    assert authorizer.decide(rsa_key.sign(claims())).is_authorized is True
    time.sleep(1.2)
    strangers = KeyStore(tmp_path / "strangers")

    for _ in range(5):
        token = strangers.add_key("ec").sign(claims())
        assert denial_reason(authorizer, token) is DenyReason.UNKNOWN_KEY

    # The first unknown kid refreshed the key set. The other four came within the interval.
    assert jwks_server.request_count == 2


def test_new_key_accepted_after_rotation(tmp_path):
    store = KeyStore(tmp_path / "keys")
    old_key = store.add_key("rsa")
    with JwksServer(store) as server:
        authorizer = make_authorizer(server, JWKS_REFRESH_MIN_INTERVAL_SECONDS="1")
        assert authorizer.decide(old_key.sign(claims())).is_authorized is True
        new_key = store.add_key("rsa")
        time.sleep(1.2)

        decision = authorizer.decide(new_key.sign(claims()))

        assert decision.is_authorized is True
        assert authorizer.decide(old_key.sign(claims())).is_authorized is True
        assert server.request_count == 2


def test_removed_key_denied_after_refresh(tmp_path):
    store = KeyStore(tmp_path / "keys")
    old_key = store.add_key("rsa")
    new_key = store.add_key("rsa")
    with JwksServer(store) as server:
        authorizer = make_authorizer(
            server, JWKS_CACHE_SECONDS="1", JWKS_REFRESH_MIN_INTERVAL_SECONDS="1"
        )
        old_token = old_key.sign(claims())
        assert authorizer.decide(old_token).is_authorized is True
        store.remove_key(old_key.kid)
        time.sleep(1.2)

        decision = authorizer.decide(old_token)

        assert decision.is_authorized is False
        assert decision.reason is DenyReason.UNKNOWN_KEY
        assert authorizer.decide(new_key.sign(claims())).is_authorized is True


# -- Logging and the Lambda handler -----------------------------------------------------


def test_token_never_logged(authorizer, rsa_key, stranger_key, caplog):
    caplog.set_level(logging.DEBUG, logger="authorizer")
    tokens = [
        rsa_key.sign(claims()),
        rsa_key.sign(claims(iss="https://evil.example.com")),
        stranger_key.sign(claims()),
        "not-a-jwt-but-secret",
    ]

    for token in tokens:
        authorizer.decide("Bearer " + token)

    logged = " ".join(
        f"{record.getMessage()} {json.dumps(record.__dict__, default=str)}"
        for record in caplog.records
    )
    assert caplog.records
    for token in tokens:
        assert token not in logged
        assert token.split(".")[-1] not in logged


@pytest.fixture
def lambda_handler(monkeypatch: pytest.MonkeyPatch):
    """The Lambda entry point, with the logger settings its import changes restored after."""
    loggers = [logging.getLogger(name) for name in ("authorizer", "audit_common")]
    saved = [(logger.handlers[:], logger.propagate, logger.level) for logger in loggers]
    from authorizer import handler

    handler.authorizer.cache_clear()
    yield handler.lambda_handler
    handler.authorizer.cache_clear()
    for logger, (handlers, propagate, level) in zip(loggers, saved, strict=True):
        logger.handlers[:] = handlers
        logger.propagate = propagate
        logger.setLevel(level)


def test_handler_allows_valid_token(lambda_handler, jwks_server, rsa_key, monkeypatch):
    for name, value in environment(jwks_server).items():
        monkeypatch.setenv(name, value)
    event = {"authorizationToken": rsa_key.sign(claims()), "requestContext": {"requestId": "r"}}

    response = lambda_handler(event, LambdaContext())

    assert response["isAuthorized"] is True
    assert response["resolverContext"]["sub"] == "user-1"


def test_handler_denies_on_bad_configuration(lambda_handler, rsa_key, monkeypatch):
    monkeypatch.delenv("JWT_ISSUER", raising=False)
    monkeypatch.setenv("JWT_AUDIENCE", AUDIENCE)
    event = {"authorizationToken": rsa_key.sign(claims()), "requestContext": None}

    response = lambda_handler(event, LambdaContext())

    assert response["isAuthorized"] is False
    assert response["ttlOverride"] == 0


def test_padded_signature_is_denied(authorizer, rsa_key):
    header, payload, signature = rsa_key.sign(claims()).split(".")

    assert (
        denial_reason(authorizer, f"{header}.{payload}.{signature}==") is DenyReason.MALFORMED_TOKEN
    )


def test_string_nbf_is_denied(authorizer, rsa_key):
    token = rsa_key.sign(claims(nbf="0"))

    assert denial_reason(authorizer, token) is DenyReason.INVALID_CLAIM


def test_far_future_expiry_is_denied(authorizer, rsa_key):
    token = rsa_key.sign(claims(exp=4102444800))

    assert denial_reason(authorizer, token) is DenyReason.INVALID_CLAIM


def test_oversized_token_is_denied(authorizer, rsa_key):
    token = rsa_key.sign(claims(padding="x" * 20_000))

    assert denial_reason(authorizer, token) is DenyReason.MALFORMED_TOKEN
