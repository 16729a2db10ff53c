"""dcent-token: issue a bearer token signed with AUTH_TOKEN_SECRETS (the first one).

    dcent-token service requestor          # PROCESSOR_AUTH_TOKEN for the Requestor
    dcent-token buyer SESSION-123 --hours 8
    dcent-token seller SELLER-001          # or POST /api/v1/sellers/{id}/token with X-Admin-Key
"""
from __future__ import annotations

import argparse

from shared.auth.principal import Role
from shared.auth.tokens import TokenSigner
from shared.config import CommonSettings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="dcent-token", description=__doc__.splitlines()[0])
    parser.add_argument("role", choices=[r.value for r in Role if r is not Role.ANYONE])
    parser.add_argument("subject", help="seller id, buyer SessionID, or the calling service's name")
    parser.add_argument("--hours", type=float, default=24.0, help="lifetime (default 24)")
    args = parser.parse_args(argv)
    signer = TokenSigner(CommonSettings().token_secrets())
    print(signer.issue(Role(args.role), args.subject, ttl_seconds=args.hours * 3600))


if __name__ == "__main__":
    main()
