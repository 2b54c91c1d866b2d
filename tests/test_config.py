"""Settings: documented, safe by default, and strict outside development."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from supportdesk.config import Settings

REPO = Path(__file__).resolve().parents[1]


def documented() -> dict[str, str]:
    values = {}
    for line in (REPO / ".env.example").read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
    return values


def test_every_setting_is_documented_with_its_default() -> None:
    example = documented()
    for name, field in Settings.model_fields.items():
        key = name.upper()
        assert key in example, f"{key} is missing from .env.example"
        default = field.get_default(call_default_factory=True)
        if default is None:
            assert example[key] == "", f"{key} should be empty in .env.example"
        else:
            shown = default.get_secret_value() if hasattr(default, "get_secret_value") else default
            assert example[key] == str(shown), f"{key}: .env.example says {example[key]!r}"


def test_the_example_loads_as_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    from_example = Settings(_env_file=REPO / ".env.example")  # type: ignore[call-arg]
    assert from_example == Settings(_env_file=None)  # type: ignore[call-arg]
    assert from_example.qdrant_url is None and from_example.database_url is None


def test_production_refuses_the_single_process_vector_store() -> None:
    with pytest.raises(ValidationError, match="QDRANT_URL"):
        Settings(environment="production", auth_jwks_url="https://idp.example/jwks")
    Settings(
        environment="production",
        qdrant_url="http://qdrant:6333",
        auth_jwks_url="https://idp.example/jwks",
    )


@pytest.mark.parametrize("secret", [None, "short-secret"])
def test_production_refuses_the_development_token_secret(secret: str | None) -> None:
    chosen = {} if secret is None else {"auth_jwt_secret": secret}
    with pytest.raises(ValidationError, match="AUTH_JWKS_URL"):
        Settings(environment="production", qdrant_url="http://qdrant:6333", **chosen)
    Settings(environment="production", qdrant_url="http://qdrant:6333", auth_jwt_secret="s" * 40)
