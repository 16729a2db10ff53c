"""Who is calling: signed bearer tokens, the principal they name, and the checks at each edge."""
from shared.auth.principal import ANYONE, Principal, Role
from shared.auth.tokens import TokenSigner

__all__ = ["ANYONE", "Principal", "Role", "TokenSigner"]
