"""`os.environ/VAR` references in `models.yaml`, resolved the way LiteLLM's proxy spells them.

The gateway resolves them itself, before LiteLLM sees the list, because an unresolved
reference is the signal that a deployment is not configured: a managed provider switches
on exactly when its key is set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from supportdesk.config import Settings

ENV_PREFIX = "os.environ/"


def environment(settings: Settings) -> dict[str, str]:
    """Variables a reference may name: `.env`, then the process, then settings-backed ones.

    Settings already reads LOCAL_LLM_URL from the environment, so taking it from settings
    gives the same answer and also honours a Settings object built in code (tests, tools).
    Provider keys are not settings fields; reading `.env` here means a key written there
    works the same as an exported one.
    """
    values: dict[str, str] = {}
    env_file = Settings.model_config.get("env_file")
    if isinstance(env_file, str | Path) and Path(env_file).is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ)
    values["LOCAL_LLM_URL"] = settings.local_llm_url
    return values


def referenced_variable(value: Any) -> str | None:
    if isinstance(value, str) and value.startswith(ENV_PREFIX):
        return value.removeprefix(ENV_PREFIX)
    return None


def resolve_params(
    params: Mapping[str, Any], env: Mapping[str, str]
) -> tuple[dict[str, Any], list[str]]:
    """Return the params with references replaced, and the variables that were unset or empty."""
    resolved: dict[str, Any] = {}
    missing: list[str] = []
    for key, value in params.items():
        name = referenced_variable(value)
        if name is None:
            resolved[key] = value
        elif env.get(name):
            resolved[key] = env[name]
        else:
            missing.append(name)
    return resolved, missing
