"""Who is calling: bearer tokens (JWT) verified into a `Principal`, and minted for development.

The API never takes identity from a message, a header the caller can simply set, or the
model: only from a token it verified (ADR 0006).
"""

from desk.auth.principal import Principal, Role
from desk.auth.tokens import AuthError, TokenVerifier, mint_token

__all__ = ["AuthError", "Principal", "Role", "TokenVerifier", "mint_token"]
