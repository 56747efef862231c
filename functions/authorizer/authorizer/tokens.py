"""Validate a JWT with PyJWT against the keys of the issuer's JWKS."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any

import jwt
from jwt import PyJWK, PyJWKClient
from jwt.exceptions import (
    InvalidJTIError,
    InvalidSubjectError,
    PyJWKClientConnectionError,
    PyJWKClientError,
    PyJWKSetError,
)

from authorizer.errors import AccessDenied, DenyReason, quoted
from authorizer.settings import AuthorizerSettings

# jwt.decode raises MissingRequiredClaimError when one of these is absent or null.
REQUIRED_CLAIMS = ["iss", "aud", "exp", "sub"]
USER_AGENT = "audit-log-authorizer"


def _utc(timestamp: object) -> str:
    """Format a NumericDate for a message, or quote it when it is not a number."""
    if isinstance(timestamp, int | float) and not isinstance(timestamp, bool):
        try:
            return datetime.fromtimestamp(timestamp, UTC).isoformat()
        except (OverflowError, OSError, ValueError):
            pass
    return quoted(timestamp)


def _is_numeric_date(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class TokenValidator:
    """Validates signed JWTs with keys from the issuer's JWKS, which PyJWKClient caches.

    The key set is fetched on first use and again once it is JWKS_CACHE_SECONDS old.
    A kid missing from the cached set forces one more fetch, at most once every
    JWKS_REFRESH_MIN_INTERVAL_SECONDS, so tokens with made-up kids cannot flood the
    issuer. A key removed from the JWKS stops verifying tokens at the next fetch.
    """

    def __init__(
        self, settings: AuthorizerSettings, jwks_client: PyJWKClient | None = None
    ) -> None:
        self._settings = settings
        self._jwks = jwks_client or PyJWKClient(
            settings.jwks_url,
            # PyJWKClient's per-kid cache (cache_keys) never expires, so it would keep
            # trusting a key removed from the JWKS. The key set cache below expires.
            cache_keys=False,
            cache_jwk_set=True,
            lifespan=settings.jwks_cache_seconds,
            timeout=settings.jwks_timeout_seconds,
            cooldown_duration=settings.jwks_refresh_min_interval_seconds,
            headers={"User-Agent": USER_AGENT},
        )

    def validate(self, token: str) -> dict[str, Any]:
        """Return the claims of a valid token; raise AccessDenied naming the first failed check."""
        _check_compact_form(token)
        kid = self._checked_key_id(token)
        key = self._signing_key(kid)
        claims = self._decode(token, key)
        self._check_claims(claims)
        return claims

    def _checked_key_id(self, token: str) -> str:
        """Check the header's alg against the allow-list and return its kid.

        Checking before any key lookup keeps tokens that cannot pass from causing
        JWKS fetches. jwt.decode checks the alg again, with the same allow-list.
        """
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise AccessDenied(
                DenyReason.MALFORMED_TOKEN, f"the token is not a signed JWT: {error}"
            ) from None
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in self._settings.algorithms:
            raise AccessDenied(
                DenyReason.ALGORITHM_NOT_ALLOWED,
                f"the token's algorithm {quoted(algorithm)} is not in JWT_ALGORITHMS "
                f"({','.join(self._settings.algorithms)})",
            )
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AccessDenied(
                DenyReason.MISSING_KEY_ID,
                "the token header has no kid, so no key of the JWKS can be chosen to verify it",
            )
        return kid

    def _key_set_unavailable(self, error: Exception) -> AccessDenied:
        return AccessDenied(
            DenyReason.KEY_SET_UNAVAILABLE,
            f"fetching the JWKS from {self._settings.jwks_url} failed "
            f"({type(error).__name__}: {error}); check that JWKS_URL is reachable "
            "and returns a JSON Web Key Set",
        )

    def _signing_key(self, kid: str) -> PyJWK:
        url = self._settings.jwks_url
        try:
            key = self._jwks.match_kid(self._jwks.get_signing_keys(), kid)
        except (PyJWKClientError, PyJWKSetError, OSError, ValueError) as error:
            # PyJWKClientConnectionError is a PyJWKClientError. json.load raises
            # ValueError on a body that is not JSON, and a connection reset while
            # reading the body surfaces as OSError.
            raise self._key_set_unavailable(error) from error
        if key is not None:
            return key
        try:
            # Fetches the key set again, unless the last fetch is more recent than
            # JWKS_REFRESH_MIN_INTERVAL_SECONDS.
            return self._jwks.get_signing_key(kid)
        except (PyJWKClientConnectionError, PyJWKSetError, OSError, ValueError) as error:
            raise self._key_set_unavailable(error) from error
        except PyJWKClientError as error:
            raise AccessDenied(
                DenyReason.UNKNOWN_KEY,
                f"no key with kid {quoted(kid)} in the JWKS at {url}; the key set is "
                "fetched again for an unknown kid at most every "
                f"{self._settings.jwks_refresh_min_interval_seconds} s ({error})",
            ) from None

    def _unverified_claim(self, token: str, name: str) -> object:
        """Read a claim for an error message, after PyJWT verified the signature."""
        try:
            payload = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            return None
        return payload.get(name)

    def _decode(self, token: str, key: PyJWK) -> dict[str, Any]:
        settings = self._settings
        try:
            return jwt.decode(
                token,
                key,
                algorithms=list(settings.algorithms),
                audience=list(settings.audiences),
                issuer=settings.issuer,
                leeway=settings.leeway_seconds,
                options={"require": REQUIRED_CLAIMS, "enforce_minimum_key_length": True},
            )
        except jwt.InvalidSignatureError:
            raise AccessDenied(
                DenyReason.INVALID_SIGNATURE,
                f"the token's signature does not verify with key {quoted(key.key_id)}",
            ) from None
        except jwt.ExpiredSignatureError:
            expires = _utc(self._unverified_claim(token, "exp"))
            raise AccessDenied(
                DenyReason.EXPIRED,
                f"the token expired at {expires}, more than JWT_LEEWAY_SECONDS="
                f"{settings.leeway_seconds} ago; the client must get a new token",
            ) from None
        except jwt.ImmatureSignatureError as error:
            # PyJWT's message names the claim: "The token is not yet valid (nbf)".
            raise AccessDenied(
                DenyReason.NOT_YET_VALID,
                f"{error}: nbf is {_utc(self._unverified_claim(token, 'nbf'))} and iat is "
                f"{_utc(self._unverified_claim(token, 'iat'))}, more than "
                f"JWT_LEEWAY_SECONDS={settings.leeway_seconds} ahead of this clock; "
                "check the issuer's and this host's clocks",
            ) from None
        except jwt.InvalidIssuerError:
            raise AccessDenied(
                DenyReason.INVALID_ISSUER,
                f"the token's issuer {quoted(self._unverified_claim(token, 'iss'))} is not "
                f"JWT_ISSUER {settings.issuer!r}",
            ) from None
        except jwt.MissingRequiredClaimError as error:
            raise AccessDenied(
                DenyReason.MISSING_CLAIM, f"the token has no {error.claim!r} claim"
            ) from None
        except jwt.InvalidAudienceError:
            raise AccessDenied(
                DenyReason.INVALID_AUDIENCE,
                f"the token's audience {quoted(self._unverified_claim(token, 'aud'))} does "
                f"not contain JWT_AUDIENCE ({','.join(settings.audiences)})",
            ) from None
        except jwt.InvalidAlgorithmError as error:
            # The alg passed the allow-list but differs from the alg of the JWK with this kid.
            raise AccessDenied(DenyReason.ALGORITHM_NOT_ALLOWED, str(error)) from None
        except jwt.InvalidKeyError as error:
            # enforce_minimum_key_length: for example an RSA key under 2048 bits.
            raise AccessDenied(DenyReason.WEAK_KEY, str(error)) from None
        except (jwt.InvalidIssuedAtError, InvalidSubjectError, InvalidJTIError) as error:
            raise AccessDenied(DenyReason.INVALID_CLAIM, str(error)) from None
        except jwt.PyJWTError as error:
            raise AccessDenied(
                DenyReason.MALFORMED_TOKEN, f"the token cannot be decoded: {error}"
            ) from None

    def _check_claims(self, claims: dict[str, Any]) -> None:
        """Run the checks that jwt.decode leaves out, on verified claims."""
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject.strip():
            raise AccessDenied(DenyReason.MISSING_CLAIM, "the token's sub claim is empty")
        # PyJWT 2.15 accepts any exp that int() takes, such as the string "4102444800".
        if not _is_numeric_date(claims["exp"]):
            raise AccessDenied(
                DenyReason.INVALID_CLAIM,
                f"the token's exp {quoted(claims['exp'])} is not a number of seconds",
            )
        not_before = claims.get("nbf")
        if not_before is not None and not _is_numeric_date(not_before):
            raise AccessDenied(
                DenyReason.INVALID_CLAIM,
                f"the token's nbf {quoted(not_before)} is not a number of seconds",
            )
        lifetime = self._settings.max_lifetime_seconds
        if claims["exp"] > time.time() + lifetime:
            raise AccessDenied(
                DenyReason.INVALID_CLAIM,
                f"the token expires at {_utc(claims['exp'])}, more than "
                f"JWT_MAX_LIFETIME_SECONDS={lifetime} from now; ask the issuer for a "
                "shorter-lived token",
            )
        # PyJWT 2.6 and later reject an iat in the future, but 1.5 to 2.5 did not,
        # and the check costs nothing to repeat.
        issued_at = claims.get("iat")
        if issued_at is not None:
            if not _is_numeric_date(issued_at):
                raise AccessDenied(
                    DenyReason.INVALID_CLAIM,
                    f"the token's iat {quoted(issued_at)} is not a number of seconds",
                )
            if issued_at > time.time() + self._settings.leeway_seconds:
                raise AccessDenied(
                    DenyReason.NOT_YET_VALID,
                    f"the token's iat {_utc(issued_at)} is more than JWT_LEEWAY_SECONDS="
                    f"{self._settings.leeway_seconds} ahead of this clock",
                )


# Tokens longer than this are denied before any parsing; real ones are a few KB.
MAX_TOKEN_LENGTH = 16_384
_COMPACT_SEGMENT = re.compile(r"^[A-Za-z0-9_-]*$")


def _check_compact_form(token: str) -> None:
    """Deny tokens that are not exactly three unpadded base64url segments.

    PyJWT decodes padded or otherwise altered segments too, so without this
    check one token would have several valid spellings.
    """
    if len(token) > MAX_TOKEN_LENGTH:
        raise AccessDenied(
            DenyReason.MALFORMED_TOKEN,
            f"the token is {len(token)} characters, over the maximum of {MAX_TOKEN_LENGTH}",
        )
    segments = token.split(".")
    # An empty signature passes here, so that an alg "none" token is denied for its alg.
    if (
        len(segments) != 3
        or not segments[0]
        or not segments[1]
        or not all(_COMPACT_SEGMENT.match(segment) for segment in segments)
    ):
        raise AccessDenied(
            DenyReason.MALFORMED_TOKEN,
            "the token is not three unpadded base64url segments separated by dots",
        )
