"""Development signing keys, tokens and a JWKS server for the JWT authorizer.

``KeyStore`` keeps RSA (RS256) and EC P-256 (ES256) private keys as unencrypted
PKCS #8 PEM files named ``<kid>.pem`` under ``.local/keys/``, which git ignores. They
are for this machine only. ``JwksServer`` serves the public half of every key in the
store as a JSON Web Key Set on 127.0.0.1, and reads the directory on each request, so
a key added or removed from the command line shows up at once. That is how to rehearse
a key rotation: add a key, mint tokens with it, then remove the old one.

Command line::

    python scripts/dev_tokens.py mint --tenants acme-corp,globex --role viewer
    python scripts/dev_tokens.py serve --port 0      # prints JWKS_URL, runs until Ctrl-C
    python scripts/dev_tokens.py add-key --type rsa  # prints the new kid
    python scripts/dev_tokens.py remove-key KID
    python scripts/dev_tokens.py list
    python scripts/dev_tokens.py jwks

``mint`` and ``serve`` create one RSA and one EC key when the store has none. Tokens
carry JWT_ISSUER, JWT_AUDIENCE, TENANT_CLAIM and ROLE_CLAIM from the environment when
they are set, so they match what the authorizer is configured to accept.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_KEYS_DIR = REPO_ROOT / ".local" / "keys"
# The .invalid top-level domain never resolves (RFC 2606), so this issuer cannot be
# mistaken for a real one.
DEV_ISSUER = "https://issuer.audit-log.invalid/dev"
DEV_AUDIENCE = "audit-log-dev"
DEV_SUBJECT = "dev-user"
JWKS_PATH = "/.well-known/jwks.json"
LOOPBACK = "127.0.0.1"
ALGORITHM_BY_KEY_TYPE = {"rsa": "RS256", "ec": "ES256"}
RSA_KEY_BITS = 2048

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


class SigningKey:
    """A private key with its key id (kid), which names it in token headers and the JWKS."""

    def __init__(self, kid: str, private_key: PrivateKey) -> None:
        self.kid = kid
        self.private_key = private_key
        self.key_type = "rsa" if isinstance(private_key, rsa.RSAPrivateKey) else "ec"
        self.algorithm = ALGORITHM_BY_KEY_TYPE[self.key_type]

    def __repr__(self) -> str:
        return f"SigningKey(kid={self.kid!r}, algorithm={self.algorithm!r})"

    def public_jwk(self) -> dict[str, Any]:
        """Return the public key as a JWK with kid, alg and use."""
        public_key = self.private_key.public_key()
        if self.key_type == "rsa":
            jwk = RSAAlgorithm.to_jwk(public_key, as_dict=True)
        else:
            jwk = ECAlgorithm.to_jwk(public_key, as_dict=True)
        # RFC 7517 advises against use and key_ops in one JWK. Keep use, which
        # PyJWKClient reads to pick the signing keys.
        jwk.pop("key_ops", None)
        return {**jwk, "kid": self.kid, "alg": self.algorithm, "use": "sig"}

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(
        self,
        claims: Mapping[str, Any],
        headers: Mapping[str, Any] | None = None,
        algorithm: str | None = None,
    ) -> str:
        """Sign claims with this key. The header gets this kid and, by default, its alg."""
        return jwt.encode(
            dict(claims),
            self.private_key,
            algorithm=algorithm or self.algorithm,
            headers={"kid": self.kid, **(headers or {})},
        )


class KeyStore:
    """Private signing keys in a directory, one ``<kid>.pem`` file each."""

    def __init__(self, directory: Path = DEFAULT_KEYS_DIR) -> None:
        self.directory = Path(directory)

    def keys(self) -> list[SigningKey]:
        """Return every key, oldest first (a kid embeds its creation time)."""
        if not self.directory.is_dir():
            return []
        keys = []
        for path in self.directory.glob("*.pem"):
            private_key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if not isinstance(private_key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
                raise ValueError(f"{path} is not an RSA or EC private key; remove it")
            keys.append(SigningKey(path.stem, private_key))
        return sorted(keys, key=lambda key: (key.kid.partition("-")[2], key.kid))

    def get(self, kid: str) -> SigningKey:
        for key in self.keys():
            if key.kid == kid:
                return key
        raise KeyError(f"no key with kid {kid!r} in {self.directory}; run the list command")

    def newest(self, key_type: str) -> SigningKey | None:
        keys = [key for key in self.keys() if key.key_type == key_type]
        return keys[-1] if keys else None

    def add_key(self, key_type: str = "rsa") -> SigningKey:
        """Generate a key of type "rsa" (RS256) or "ec" (ES256) and store it."""
        if key_type == "rsa":
            private_key: PrivateKey = rsa.generate_private_key(
                public_exponent=65537, key_size=RSA_KEY_BITS
            )
        elif key_type == "ec":
            private_key = ec.generate_private_key(ec.SECP256R1())
        else:
            raise ValueError(f"key type {key_type!r} is not one of: rsa, ec")
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        pem = private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        while True:
            kid = f"{key_type}-{datetime.now(UTC):%Y%m%dT%H%M%S%f}"
            try:
                # O_EXCL never overwrites a key, and mode 0o600 keeps it readable by its owner only.
                descriptor = os.open(
                    self.directory / f"{kid}.pem", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600
                )
            except FileExistsError:
                continue
            break
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
        logger.info("signing key added: %s in %s", kid, self.directory)
        return SigningKey(kid, private_key)

    def remove_key(self, kid: str) -> None:
        """Delete a key, so the JWKS no longer lists it and its tokens stop verifying."""
        path = self.directory / f"{kid}.pem"
        if path.parent != self.directory or not path.is_file():
            raise KeyError(f"no key with kid {kid!r} in {self.directory}; run the list command")
        path.unlink()
        logger.info("signing key removed: %s", kid)

    def ensure_keys(self) -> None:
        """Create one RSA and one EC key when the store has none of that type."""
        for key_type in ALGORITHM_BY_KEY_TYPE:
            if self.newest(key_type) is None:
                self.add_key(key_type)

    def jwks(self) -> dict[str, Any]:
        """Return the JSON Web Key Set of the public keys."""
        return {"keys": [key.public_jwk() for key in self.keys()]}


def dev_claims(
    *,
    tenants: Iterable[str],
    role: str | None,
    subject: str = DEV_SUBJECT,
    issuer: str = DEV_ISSUER,
    audience: str | list[str] = DEV_AUDIENCE,
    lifetime_seconds: int = 3600,
    tenant_claim: str | None = "custom:tenant_id",
    role_claim: str | None = "custom:role",
    now: int | None = None,
) -> dict[str, Any]:
    """Build the claims of a development token. A None claim name leaves that claim out."""
    issued_at = int(time.time()) if now is None else now
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": subject,
        "iat": issued_at,
        "nbf": issued_at,
        "exp": issued_at + lifetime_seconds,
        "jti": str(uuid.uuid4()),
    }
    if tenant_claim:
        claims[tenant_claim] = list(tenants)
    if role_claim and role is not None:
        claims[role_claim] = role
    return claims


class _JwksRequestHandler(BaseHTTPRequestHandler):
    server: _JwksHttpServer

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] != JWKS_PATH:
            self.send_error(404, f"the JWKS is at {JWKS_PATH}")
            return
        self.server.count_request()
        body = json.dumps(self.server.store.jwks()).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("jwks server: " + format, *args)


class _JwksHttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, store: KeyStore) -> None:
        super().__init__((LOOPBACK, port), _JwksRequestHandler)
        self.store = store
        self.request_count = 0
        self._lock = threading.Lock()

    def count_request(self) -> None:
        with self._lock:
            self.request_count += 1


class JwksServer:
    """Serves a KeyStore's public keys over HTTP on 127.0.0.1 from a background thread.

    Port 0 takes a free port; ``url`` is the JWKS URL to set as the authorizer's
    JWKS_URL. ``request_count`` counts the JWKS requests served.
    """

    def __init__(self, store: KeyStore, port: int = 0) -> None:
        self.store = store
        self._requested_port = port
        self._server: _JwksHttpServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the JWKS server is not running; call start() first")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}{JWKS_PATH}"

    @property
    def request_count(self) -> int:
        return 0 if self._server is None else self._server.request_count

    def start(self) -> JwksServer:
        if self._server is not None:
            raise RuntimeError(f"the JWKS server is already running at {self.url}")
        self._server = _JwksHttpServer(self._requested_port, self.store)
        # shutdown() waits for the loop to poll, so a short interval keeps stop() quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="jwks-server",
            daemon=True,
        )
        self._thread.start()
        logger.info("JWKS server started at %s", self.url)
        return self

    def stop(self) -> None:
        """Stop serving and close the socket, so connections to the port are refused."""
        if self._server is None:
            return
        url = self.url
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = None
        self._thread = None
        logger.info("JWKS server at %s stopped", url)

    def __enter__(self) -> JwksServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _parse_extra_claim(text: str) -> tuple[str, Any]:
    name, separator, raw = text.partition("=")
    if not separator or not name:
        raise argparse.ArgumentTypeError(f"--claim {text!r} is not NAME=VALUE")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return name, value


def _signing_key_for(store: KeyStore, args: argparse.Namespace) -> SigningKey:
    if args.kid:
        return store.get(args.kid)
    store.ensure_keys()
    key = store.newest(args.type)
    assert key is not None  # ensure_keys created one
    return key


def _mint(store: KeyStore, args: argparse.Namespace) -> None:
    env = os.environ
    claims = dev_claims(
        tenants=[tenant.strip() for tenant in args.tenants.split(",") if tenant.strip()],
        role=args.role,
        subject=args.sub,
        issuer=args.issuer or env.get("JWT_ISSUER") or DEV_ISSUER,
        audience=args.audience or env.get("JWT_AUDIENCE", "").split(",")[0].strip() or DEV_AUDIENCE,
        lifetime_seconds=args.lifetime,
        tenant_claim=env.get("TENANT_CLAIM", "custom:tenant_id").strip() or None,
        role_claim=env.get("ROLE_CLAIM", "custom:role").strip() or None,
    )
    claims.update(dict(args.claim))
    print(_signing_key_for(store, args).sign(claims))


def _serve(store: KeyStore, args: argparse.Namespace) -> None:
    store.ensure_keys()
    stopping = threading.Event()
    # Stop cleanly on SIGTERM as on Ctrl-C, so a parent process can stop the server by PID.
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.set())
    with JwksServer(store, args.port) as server:
        print(f"JWKS_URL={server.url}", flush=True)
        print("serving until Ctrl-C", file=sys.stderr, flush=True)
        try:
            stopping.wait()
        except KeyboardInterrupt:
            pass


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--keys-dir", type=Path, default=DEFAULT_KEYS_DIR, help="directory of the private keys"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    mint = commands.add_parser("mint", help="print a signed development token")
    mint.add_argument("--tenants", default="acme-corp", help="comma-separated tenant ids")
    mint.add_argument("--role", default="viewer", help="viewer, auditor or admin")
    mint.add_argument("--sub", default=DEV_SUBJECT, help="the token's subject")
    mint.add_argument("--type", choices=sorted(ALGORITHM_BY_KEY_TYPE), default="rsa")
    mint.add_argument("--kid", help="sign with this key instead of the newest of --type")
    mint.add_argument("--lifetime", type=int, default=3600, help="seconds until exp")
    mint.add_argument("--issuer", help=f"iss (default: JWT_ISSUER, else {DEV_ISSUER})")
    mint.add_argument("--audience", help=f"aud (default: JWT_AUDIENCE, else {DEV_AUDIENCE})")
    mint.add_argument(
        "--claim",
        action="append",
        default=[],
        type=_parse_extra_claim,
        help='extra claim NAME=VALUE, VALUE as JSON when it parses: cognito:groups=["a"]',
    )

    serve = commands.add_parser("serve", help="serve the JWKS on 127.0.0.1 until Ctrl-C")
    serve.add_argument("--port", type=int, default=0, help="TCP port; 0 takes a free one")

    add_key = commands.add_parser("add-key", help="generate a signing key; print its kid")
    add_key.add_argument("--type", choices=sorted(ALGORITHM_BY_KEY_TYPE), default="rsa")

    remove_key = commands.add_parser("remove-key", help="delete a signing key")
    remove_key.add_argument("kid")

    commands.add_parser("list", help="print each key's kid and algorithm")
    commands.add_parser("jwks", help="print the public JWKS")
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    args = _parser().parse_args(argv)
    store = KeyStore(args.keys_dir)
    try:
        if args.command == "mint":
            _mint(store, args)
        elif args.command == "serve":
            _serve(store, args)
        elif args.command == "add-key":
            print(store.add_key(args.type).kid)
        elif args.command == "remove-key":
            store.remove_key(args.kid)
        elif args.command == "list":
            for key in store.keys():
                print(f"{key.kid}\t{key.algorithm}")
        elif args.command == "jwks":
            print(json.dumps(store.jwks(), indent=2))
    except (KeyError, ValueError) as error:
        message = error.args[0] if isinstance(error, KeyError) else str(error)
        print(f"dev_tokens: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
