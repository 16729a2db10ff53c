"""Authentication at the HTTP edge: `Authorization: Bearer <token>` → the calling Principal."""
from __future__ import annotations

from collections.abc import Collection

from fastapi.security import HTTPBearer

from shared.auth.principal import ANYONE, Principal, Role
from shared.auth.tokens import Audience, TokenSigner
from shared.errors import Forbidden, Unauthorized

# auto_error=False: the Authenticator decides (authentication may be off), and its refusals
# carry the one JSON error shape every other refusal has.
bearer_scheme = HTTPBearer(auto_error=False, description="A token from an operator (docs/security.md)")


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header value (scheme case-insensitive)."""
    scheme, _, token = (authorization or "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


class Authenticator:
    """Verifies tokens for one API; `signer=None` means authentication is off (development)."""

    def __init__(self, signer: TokenSigner | None, *, audience: Audience, roles: Collection[Role]) -> None:
        self._signer = signer
        self.audience = audience
        self._roles = frozenset(roles)

    @property
    def enabled(self) -> bool:
        return self._signer is not None

    def authenticate(self, token: str | None) -> Principal:
        if self._signer is None:
            return ANYONE
        if not token:
            raise Unauthorized("this API needs an Authorization: Bearer token")
        principal = self._signer.verify(token, audience=self.audience)
        if principal.role not in self._roles:
            raise Forbidden(f"a {principal.role} token cannot call this API")
        return principal

    def caller(self, authorization: str | None) -> str:
        """The principal an `Authorization: Bearer` header names, as "role:subject"; the refusal
        this API would answer when it names none."""
        principal = self.authenticate(bearer_token(authorization))
        if principal.unrestricted:  # authentication off: callers told apart by what they present
            return f"{principal.role}:{authorization or ''}"
        scope = f"@{principal.order_scope}" if principal.order_scope else ""  # a link's session: its own keys
        return f"{principal.role}:{principal.subject}{scope}"

