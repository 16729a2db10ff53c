"""dcent-token: issue a bearer token signed with the first key of AUTH_TOKEN_SECRETS, or make a key.

Sign with the keys of the service that will check the token: the Processor's for seller and
service tokens, the Requestor's for buyer tokens. The keys are read from AUTH_TOKEN_SECRETS in
the environment only (not from a service's .env.local), and nothing else is: the tool runs the
same whatever ENVIRONMENT says.

    dcent-token new-key                        # {"<random kid>": "<random secret>"}
    AUTH_TOKEN_SECRETS='<the Processor's keys>' dcent-token service requestor --hours 8760
    AUTH_TOKEN_SECRETS='<the Processor's keys>' dcent-token seller SELLER-001
    AUTH_TOKEN_SECRETS='<the Requestor's keys>' dcent-token buyer SESSION-123 --hours 8
    dcent-token buyer SESSION-123 --development    # the built-in key: a laptop with AUTH_ENABLED=true
"""
from __future__ import annotations

import argparse
import json
import secrets
import sys

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.auth.principal import Role
from shared.auth.tokens import DEFAULT_ISSUER, DEV_TOKEN_KEY_ID, DEV_TOKEN_SECRET, MAX_TOKEN_HOURS, TokenSigner

ROLES = [r.value for r in Role if r is not Role.ANYONE]


class TokenKeys(BaseSettings):
    """Only what signing needs: a service's whole profile has nothing to say about minting a token."""

    model_config = SettingsConfigDict(extra="ignore")

    auth_token_secrets: dict[str, SecretStr] | None = None
    auth_token_issuer: str = Field(DEFAULT_ISSUER, min_length=1)
    auth_token_max_hours: float = Field(MAX_TOKEN_HOURS, gt=0)


def new_key() -> dict[str, str]:
    """A key id chosen at random (it says nothing about the secret) and a 256-bit secret."""
    return {f"k-{secrets.token_hex(4)}": secrets.token_urlsafe(32)}


def signer(*, development: bool) -> TokenSigner:
    keys = TokenKeys()
    if keys.auth_token_secrets is None:
        if not development:
            sys.exit("dcent-token: AUTH_TOKEN_SECRETS is not set: export the keys of the service that will check "
                     "the token (or pass --development for the built-in development key)")
        return TokenSigner({DEV_TOKEN_KEY_ID: DEV_TOKEN_SECRET}, issuer=keys.auth_token_issuer)
    return TokenSigner({kid: s.get_secret_value() for kid, s in keys.auth_token_secrets.items()},
                       issuer=keys.auth_token_issuer, max_lifetime_seconds=keys.auth_token_max_hours * 3600)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="dcent-token", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("role", choices=[*ROLES, "new-key"], help="whose token to issue, or new-key")
    parser.add_argument("subject", nargs="?", help="seller id, buyer SessionID, or the calling service's name")
    parser.add_argument("--hours", type=float, default=24.0, help="lifetime (default 24)")
    parser.add_argument("--development", action="store_true",
                        help="sign with the built-in development key when AUTH_TOKEN_SECRETS is unset")
    args = parser.parse_args(argv)
    if args.role == "new-key":
        if args.subject:
            parser.error("new-key takes no subject")
        print(json.dumps(new_key()))
        return
    if not args.subject:
        parser.error("a subject is needed")
    try:
        token = signer(development=args.development).issue(Role(args.role), args.subject,
                                                           ttl_seconds=args.hours * 3600)
    except ValueError as refusal:
        sys.exit(f"dcent-token: {refusal}")
    print(token)


if __name__ == "__main__":
    main()
