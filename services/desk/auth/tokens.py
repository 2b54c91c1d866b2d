"""Verifying bearer tokens: HS256 with a shared secret by default, RS256 against a JWKS URL.

Claims: `sub` (the caller's id), `tenant`, `role` ("customer", "agent" or "operator"; customer
when absent), and the standard `exp`, `iss`, `aud`, all required. In development the
desk signs and verifies with `AUTH_JWT_SECRET` (`supportdesk token` mints one); in
production an identity provider signs with its private key and the desk fetches the public
keys from `AUTH_JWKS_URL` (cached by PyJWT's client), and refuses the development secret.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import jwt

from desk.auth.principal import Principal, Role
from supportdesk.config import Settings

ROLES: tuple[Role, ...] = ("customer", "agent", "operator")
LEEWAY_S = 30  # clock skew tolerated between the issuer and the desk


class AuthError(Exception):
    """The request is not authenticated; the message says why, without echoing the token."""


class TokenVerifier:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._jwks = (
            jwt.PyJWKClient(settings.auth_jwks_url, cache_keys=True, timeout=5)
            if settings.auth_jwks_url
            else None
        )

    async def verify(self, token: str) -> Principal:
        if self._jwks is not None:
            # Fetching keys is network I/O in a sync client: keep it off the event loop.
            signing_key = await asyncio.to_thread(self._jwks_key, token)
            return self._decode(token, signing_key, ["RS256"])
        return self._decode(token, self._settings.auth_jwt_secret.get_secret_value(), ["HS256"])

    def _jwks_key(self, token: str) -> Any:
        assert self._jwks is not None
        try:
            return self._jwks.get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientError as exc:
            raise AuthError(f"The token's signing key could not be found: {exc}") from exc
        except jwt.InvalidTokenError as exc:
            raise AuthError(f"The token is malformed: {exc}") from exc

    def _decode(self, token: str, key: Any, algorithms: list[str]) -> Principal:
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=self._settings.auth_audience,
                issuer=self._settings.auth_issuer,
                leeway=LEEWAY_S,
                options={"require": ["exp", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthError("The token has expired; sign in again.") from exc
        except jwt.InvalidTokenError as exc:
            raise AuthError(f"The token is not valid: {exc}.") from exc
        tenant = claims.get("tenant")
        role = claims.get("role", "customer")
        if not isinstance(tenant, str) or not tenant:
            raise AuthError("The token names no tenant.")
        if not str(claims["sub"]).strip():
            raise AuthError("The token names no subject.")
        if role not in ROLES:
            raise AuthError(f"The token's role {role!r} is not one of {', '.join(ROLES)}.")
        return Principal(tenant=tenant, subject=str(claims["sub"]), role=role)


def mint_token(
    settings: Settings,
    subject: str,
    *,
    tenant: str | None = None,
    role: Role = "customer",
    ttl_s: int | None = None,
) -> str:
    """A development token signed with AUTH_JWT_SECRET (production tokens come from an IdP)."""
    now = int(time.time())
    claims = {
        "sub": subject,
        "tenant": tenant or settings.tenant,
        "role": role,
        "iss": settings.auth_issuer,
        "aud": settings.auth_audience,
        "iat": now,
        "exp": now + (ttl_s or settings.auth_token_ttl_s),
    }
    return jwt.encode(claims, settings.auth_jwt_secret.get_secret_value(), algorithm="HS256")
