"""Signed bearer tokens: compact JWTs (HS256) made and checked with the standard library.

Several secrets may be configured: the first signs, every one verifies, each token names its
key (`kid`) — so a secret is rotated by putting the new one first, waiting out the longest token
lifetime, then removing the old one (docs/security.md).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Sequence

from shared.auth.principal import Principal, Role
from shared.errors import Unauthorized

_HEADER_ALG = "HS256"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def key_id(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


class TokenSigner:
    def __init__(self, secrets: Sequence[str], *, leeway_seconds: float = 30) -> None:
        if not secrets:
            raise ValueError("at least one token secret is needed")
        self._signing = secrets[0]
        self._by_kid = {key_id(s): s.encode() for s in secrets}
        self._leeway = leeway_seconds

    def issue(self, role: Role, subject: str, *, ttl_seconds: float, now: float | None = None) -> str:
        issued = int(now if now is not None else time.time())
        header = {"alg": _HEADER_ALG, "typ": "JWT", "kid": key_id(self._signing)}
        claims = {"sub": subject, "role": role.value, "iat": issued, "exp": issued + int(ttl_seconds)}
        signing_input = (f"{_b64(json.dumps(header, separators=(',', ':')).encode())}."
                         f"{_b64(json.dumps(claims, separators=(',', ':')).encode())}")
        return f"{signing_input}.{_b64(self._mac(self._signing.encode(), signing_input))}"

    def verify(self, token: str, *, now: float | None = None) -> Principal:
        try:
            header_b64, claims_b64, signature_b64 = token.split(".")
            header = json.loads(_unb64(header_b64))
            key = self._by_kid.get(header.get("kid")) if header.get("alg") == _HEADER_ALG else None
            if key is None:
                raise Unauthorized("the token is not signed by a key this service knows")
            if not hmac.compare_digest(_unb64(signature_b64), self._mac(key, f"{header_b64}.{claims_b64}")):
                raise Unauthorized("the token's signature does not match")
            claims = json.loads(_unb64(claims_b64))
            role, subject, expires = Role(claims["role"]), str(claims["sub"]), float(claims["exp"])
        except Unauthorized:
            raise
        except (ValueError, KeyError, TypeError, AttributeError):
            raise Unauthorized("the bearer token is malformed") from None
        if role is Role.ANYONE or not subject:
            raise Unauthorized("the token names no caller")
        if (now if now is not None else time.time()) > expires + self._leeway:
            raise Unauthorized("the token has expired")
        return Principal(role, subject)

    @staticmethod
    def _mac(key: bytes, signing_input: str) -> bytes:
        return hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
