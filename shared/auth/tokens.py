"""Signed bearer tokens: compact JWTs (HS256) made and checked with PyJWT.

Every token names its issuer (`iss`), the one service it is meant for (`aud`: buyer tokens for
the Requestor, seller and service tokens for the Processor), who it is (`sub`, `role`) and when
it was issued and expires (`iat`, `exp`, both required; `nbf` honoured). Keys are named: the
configured `{"<kid>": "<secret>", ...}` — the first signs, every one verifies, each token names
its key (`kid`, chosen by the operator, never derived from the secret). A secret is rotated by
putting a new key first, waiting out the longest token lifetime, then removing the old key.

A token is refused unless each segment is the one canonical unpadded base64url encoding of its
bytes (PyJWT also accepts `=` padding), so one token has one spelling.
"""
from __future__ import annotations

import base64
import re
import time
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

import jwt

from shared.auth.principal import Principal, Role
from shared.errors import Unauthorized

ALGORITHM = "HS256"
DEFAULT_ISSUER = "dcent-communicator"
# The development key: fine on a laptop, refused by the production profile.
DEV_TOKEN_KEY_ID = "dev"
DEV_TOKEN_SECRET = "dev-token-secret-not-for-production"
MAX_TOKEN_HOURS = 8760  # a year: the longest lifetime the production profile accepts
REQUIRED_CLAIMS = ("exp", "iat", "sub", "iss", "aud")
KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")


class Audience(StrEnum):
    REQUESTOR = "dcent-requestor"
    PROCESSOR = "dcent-processor"


AUDIENCE_OF_ROLE = {Role.BUYER: Audience.REQUESTOR, Role.SELLER: Audience.PROCESSOR, Role.SERVICE: Audience.PROCESSOR}


def _canonical(segment: str) -> bool:
    if not _SEGMENT.fullmatch(segment):
        return False
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except ValueError:
        return False
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode() == segment


def unverified_claims(token: str) -> dict[str, Any]:
    """The claims of a token this process cannot verify (the Processor's, held by the Requestor),
    for start-up checks of its shape only."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except Exception:  # noqa: BLE001 - any defect means "not a token"
        raise Unauthorized("the token is malformed") from None
    if not isinstance(claims, dict):
        raise Unauthorized("the token is malformed")
    return claims


def unverified_key_id(token: str) -> str | None:
    """The key id a token's header names (unchecked: for start-up checks of its shape only)."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError:
        return None
    return kid if isinstance(kid, str) else None


class TokenSigner:
    def __init__(
        self, keys: Mapping[str, str], *, issuer: str = DEFAULT_ISSUER, leeway_seconds: float = 30,
        max_lifetime_seconds: float | None = None,
    ) -> None:
        if not keys:
            raise ValueError("at least one token key is needed")
        if bad := [kid for kid in keys if not KEY_ID.fullmatch(kid)]:
            raise ValueError(f"key ids must match {KEY_ID.pattern}: {bad}")
        self._keys = {kid: secret.encode() for kid, secret in keys.items()}
        self._signing_kid = next(iter(keys))
        self._issuer = issuer
        self._leeway = leeway_seconds
        self._max_lifetime = max_lifetime_seconds

    def issue(
        self, role: Role, subject: str, *, ttl_seconds: float, now: float | None = None,
        audience: str | None = None, claims: Mapping[str, Any] | None = None,
    ) -> str:
        if role is Role.ANYONE or not subject:
            raise ValueError("a token names a role and a subject")
        if self._max_lifetime is not None and ttl_seconds > self._max_lifetime:
            raise ValueError(f"a token lives at most {self._max_lifetime / 3600:g} hours (AUTH_TOKEN_MAX_HOURS)")
        issued = int(now if now is not None else time.time())
        payload = {
            **(claims or {}), "iss": self._issuer, "aud": audience or AUDIENCE_OF_ROLE[role].value,
            "sub": subject, "role": role.value, "iat": issued, "exp": issued + int(ttl_seconds),
        }
        return jwt.encode(payload, self._keys[self._signing_kid], algorithm=ALGORITHM,
                          headers={"kid": self._signing_kid})

    def decode(self, token: str, *, audience: str, now: float | None = None) -> dict[str, Any]:
        """The verified claims of a token meant for `audience`, or Unauthorized saying why not."""
        segments = token.split(".")
        if len(segments) != 3 or not all(_canonical(s) for s in segments):
            raise Unauthorized("the bearer token is malformed")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthorized("the bearer token is malformed") from None
        kid = header.get("kid")
        key = self._keys.get(kid) if isinstance(kid, str) else None
        if key is None or header.get("alg") != ALGORITHM:
            raise Unauthorized("the token is not signed by a key this service knows")
        try:
            claims: dict[str, Any] = jwt.decode(
                token, key, algorithms=[ALGORITHM], audience=audience, issuer=self._issuer,
                # Times are checked below, once their types are: PyJWT lets int(inf) raise OverflowError.
                options={"require": list(REQUIRED_CLAIMS), "strict_aud": True,
                         "verify_exp": False, "verify_nbf": False, "verify_iat": False},
            )
        except jwt.InvalidAudienceError:
            raise Unauthorized("the token is meant for another service") from None
        except jwt.InvalidIssuerError:
            raise Unauthorized("the token was issued by someone this service does not trust") from None
        except jwt.InvalidSignatureError:
            raise Unauthorized("the token's signature does not match") from None
        except Exception:  # noqa: BLE001 - any other defect is a malformed token
            raise Unauthorized("the bearer token is malformed") from None
        times = {c: claims[c] for c in ("exp", "iat", "nbf") if c in claims}
        if not all(type(t) is int for t in times.values()):  # not bool, not float: no NaN, no inf
            raise Unauthorized("the token's times are not whole seconds")
        at = now if now is not None else time.time()
        if times["exp"] <= at - self._leeway:
            raise Unauthorized("the token has expired")
        if max(times["iat"], times.get("nbf", times["iat"])) > at + self._leeway:
            raise Unauthorized("the token is not valid yet")
        if self._max_lifetime is not None and times["exp"] - times["iat"] > self._max_lifetime:
            raise Unauthorized("the token lives longer than this service allows (AUTH_TOKEN_MAX_HOURS)")
        return claims

    def verify(self, token: str, *, audience: str, now: float | None = None) -> Principal:
        claims = self.decode(token, audience=audience, now=now)
        try:
            role, subject = Role(str(claims.get("role"))), claims["sub"]
        except ValueError:
            raise Unauthorized("the token names no caller") from None
        if role is Role.ANYONE or not isinstance(subject, str) or not subject:
            raise Unauthorized("the token names no caller")
        scope = claims.get("ord")
        if scope is not None and (role is not Role.SELLER or not isinstance(scope, str) or not scope):
            raise Unauthorized("the token names no caller")
        return Principal(role, subject, expires_at=float(claims["exp"]), order_scope=scope)
