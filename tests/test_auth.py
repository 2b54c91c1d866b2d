"""Bearer tokens: the development HS256 path and the production RS256-against-JWKS path.

The JWKS endpoint is a real HTTP server on loopback serving a freshly generated RSA key,
as an identity provider would; PyJWT's client fetches it like it would in production.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from desk.auth import AuthError, Principal, TokenVerifier, mint_token
from supportdesk.config import Settings

SETTINGS = Settings(_env_file=None)  # type: ignore[call-arg]


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "sub": "cus_alice",
        "tenant": "harbor",
        "role": "customer",
        "iss": SETTINGS.auth_issuer,
        "aud": SETTINGS.auth_audience,
        "exp": now + 600,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def hs256(**overrides: Any) -> str:
    secret = SETTINGS.auth_jwt_secret.get_secret_value()
    return jwt.encode(claims(**overrides), secret, algorithm="HS256")


async def test_a_minted_token_verifies_as_its_principal() -> None:
    verifier = TokenVerifier(SETTINGS)
    assert await verifier.verify(mint_token(SETTINGS, "cus_ben")) == Principal("harbor", "cus_ben")
    agent = await verifier.verify(mint_token(SETTINGS, "agent_sam", role="agent", tenant="acme"))
    assert agent == Principal("acme", "agent_sam", "agent") and agent.customer_id is None


@pytest.mark.parametrize(
    ("token_claims", "reason"),
    [
        ({"exp": int(time.time()) - 3600}, "expired"),
        ({"aud": "someone-else"}, "(?i)audience"),
        ({"iss": "https://evil.example"}, "(?i)issuer"),
        ({"tenant": None}, "no tenant"),
        ({"sub": " "}, "no subject"),
        ({"role": "admin"}, "role"),
        ({"exp": None}, "exp"),
    ],
)
async def test_a_token_that_breaks_a_rule_says_which(
    token_claims: dict[str, Any], reason: str
) -> None:
    with pytest.raises(AuthError, match=reason):
        await TokenVerifier(SETTINGS).verify(hs256(**token_claims))


async def test_a_token_signed_with_another_secret_or_none_is_refused() -> None:
    other = SETTINGS.model_copy(update={"auth_jwt_secret": SecretStr("x" * 40)})
    with pytest.raises(AuthError, match="not valid"):
        await TokenVerifier(SETTINGS).verify(mint_token(other, "cus_alice"))
    unsigned = jwt.encode(claims(), key=None, algorithm="none")  # type: ignore[arg-type]
    with pytest.raises(AuthError, match="not valid"):
        await TokenVerifier(SETTINGS).verify(unsigned)


@pytest.fixture(scope="module")
def identity_provider() -> Iterator[tuple[str, Any]]:
    """A JWKS endpoint on loopback; yields its URL and the private key that signs."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    body = json.dumps({"keys": [{**public, "kid": "idp-1", "use": "sig", "alg": "RS256"}]})

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json", key
    finally:
        server.shutdown()


async def test_rs256_tokens_verify_against_the_providers_jwks(
    identity_provider: tuple[str, Any],
) -> None:
    url, key = identity_provider
    settings = SETTINGS.model_copy(update={"auth_jwks_url": url})
    verifier = TokenVerifier(settings)
    token = jwt.encode(claims(sub="cus_erin"), key, algorithm="RS256", headers={"kid": "idp-1"})
    assert await verifier.verify(token) == Principal("harbor", "cus_erin")

    # With a JWKS configured, the development secret no longer signs anything valid.
    with pytest.raises(AuthError):
        await verifier.verify(mint_token(SETTINGS, "cus_erin"))
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims(), stranger, algorithm="RS256", headers={"kid": "idp-1"})
    with pytest.raises(AuthError):
        await verifier.verify(forged)
