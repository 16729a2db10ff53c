"""dcent-token: issue a bearer token signed with AUTH_TOKEN_SECRETS (its first key), or make a key.

    dcent-token service requestor          # PROCESSOR_AUTH_TOKEN for the Requestor (Processor's keys)
    dcent-token buyer SESSION-123 --hours 8   # with the Requestor's keys
    dcent-token seller SELLER-001          # or POST /api/v1/sellers/{id}/token with X-Admin-Key
    dcent-token new-key                    # {"<random kid>": "<random secret>"} for AUTH_TOKEN_SECRETS
"""
from __future__ import annotations

import argparse
import json
import secrets
import sys

from shared.auth.principal import Role
from shared.config import CommonSettings

ROLES = [r.value for r in Role if r is not Role.ANYONE]


def new_key() -> dict[str, str]:
    """A key id chosen at random (it says nothing about the secret) and a 256-bit secret."""
    return {f"k-{secrets.token_hex(4)}": secrets.token_urlsafe(32)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="dcent-token", description=__doc__.splitlines()[0])
    parser.add_argument("role", choices=[*ROLES, "new-key"], help="whose token to issue, or new-key")
    parser.add_argument("subject", nargs="?", help="seller id, buyer SessionID, or the calling service's name")
    parser.add_argument("--hours", type=float, default=24.0, help="lifetime (default 24)")
    args = parser.parse_args(argv)
    if args.role == "new-key":
        print(json.dumps(new_key()))
        return
    if not args.subject:
        parser.error("a subject is needed")
    try:
        token = CommonSettings().token_signer().issue(Role(args.role), args.subject, ttl_seconds=args.hours * 3600)
    except ValueError as refusal:
        sys.exit(f"dcent-token: {refusal}")
    print(token)


if __name__ == "__main__":
    main()
