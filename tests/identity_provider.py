"""A tiny OpenID provider for tests: RSA/EC keys, a JWKS and a discovery document served
over real HTTP on a free loopback port, and tokens signed with those keys.

    with IdentityProvider() as idp:
        token = idp.token({"sub": "alice", "aud": "ia"})
        # AUTH_MODE=jwt OIDC_ISSUER_URL=idp.issuer OIDC_AUDIENCE=ia

``rotate()`` publishes a new key (and can drop the old ones) as an identity provider does
on key rotation; ``hits`` counts requests per path, so tests can see when the JWKS was
fetched. ``forged_hs256(claims)`` makes the classic algorithm-confusion token: HS256 with
the RSA public key's PEM as the HMAC secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jwk, jwt


@dataclass
class SigningKey:
    kid: str
    algorithm: str
    private_pem: str
    public_pem: str

    def public_jwk(self) -> dict[str, Any]:
        data: dict[str, Any] = jwk.construct(self.public_pem, self.algorithm).to_dict()
        data.update(kid=self.kid, use="sig", alg=self.algorithm)
        return data


def new_key(algorithm: str = "RS256", kid: str | None = None) -> SigningKey:
    if algorithm.startswith("ES"):
        curve = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}
        private: Any = ec.generate_private_key(curve[algorithm])
    else:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return SigningKey(kid or uuid.uuid4().hex[:16], algorithm, private_pem, public_pem)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_token(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    """A token assembled by hand (for ``alg: none`` and other things no library signs)."""
    head = b64url(json.dumps(header).encode())
    body = b64url(json.dumps(claims).encode())
    return f"{head}.{body}.{b64url(signature)}"


def hs256_by_hand(claims: dict[str, Any], secret: bytes, header: dict[str, Any]) -> str:
    head = b64url(json.dumps(header).encode())
    body = b64url(json.dumps(claims).encode())
    signature = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64url(signature)}"


class IdentityProvider:
    def __init__(self, algorithm: str = "RS256") -> None:
        self.keys = [new_key(algorithm)]
        self.hits: Counter[str] = Counter()
        self.discovery_issuer: str | None = None
        """Overrides the issuer the discovery document names (to test a mismatch)."""
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                provider.hits[self.path] += 1
                if self.path == "/jwks.json":
                    body: Any = {"keys": [key.public_jwk() for key in provider.keys]}
                elif self.path == "/.well-known/openid-configuration":
                    body = {
                        "issuer": provider.discovery_issuer or provider.issuer,
                        "jwks_uri": provider.jwks_url,
                    }
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output quiet

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def issuer(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def jwks_url(self) -> str:
        return self.issuer + "/jwks.json"

    @property
    def key(self) -> SigningKey:
        """The newest key, which ``token`` signs with."""
        return self.keys[-1]

    def start(self) -> IdentityProvider:
        self._thread.start()
        return self

    def close(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    def __enter__(self) -> IdentityProvider:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def rotate(self, *, keep_old: bool = True) -> SigningKey:
        key = new_key(self.key.algorithm)
        self.keys = [*self.keys, key] if keep_old else [key]
        return key

    def token(
        self,
        claims: dict[str, Any],
        *,
        key: SigningKey | None = None,
        lifetime_sec: int | None = 300,
        headers: dict[str, Any] | None = None,
    ) -> str:
        """A signed token; ``iss`` and ``exp`` are added unless given (``lifetime_sec=None``:
        no ``exp``)."""
        key = key or self.key
        body = {"iss": self.issuer, **claims}
        if lifetime_sec is not None and "exp" not in body:
            body["exp"] = int(time.time()) + lifetime_sec
        return str(
            jwt.encode(
                body,
                key.private_pem,
                algorithm=key.algorithm,
                headers={"kid": key.kid, **(headers or {})},
            )
        )

    def forged_hs256(self, claims: dict[str, Any]) -> str:
        """Algorithm confusion: HS256 "signed" with the RSA public key's PEM as secret."""
        body = {"iss": self.issuer, "exp": int(time.time()) + 300, **claims}
        header = {"alg": "HS256", "typ": "JWT", "kid": self.key.kid}
        return hs256_by_hand(body, self.key.public_pem.encode(), header)


@contextmanager
def identity_provider(algorithm: str = "RS256") -> Iterator[IdentityProvider]:
    with IdentityProvider(algorithm) as provider:
        yield provider
