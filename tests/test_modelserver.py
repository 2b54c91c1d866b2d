"""The self-hosted model server's launch command; no server is started here.

tests/test_gateway_routing.py starts the real server under `pytest -m integration`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from modelserver import MODEL_ALIAS, ModelFileMissing, build_command, main
from modelserver.server import parse_args
from supportdesk.config import Settings


def _flags(argv: list[str]) -> dict[str, str]:
    return dict(zip(argv[3::2], argv[4::2], strict=True))


def test_command_serves_the_bundled_gguf_where_the_gateway_looks() -> None:
    settings = Settings(
        local_llm_url="http://127.0.0.1:8123/v1", local_llm_threads=3, local_llm_context=1024
    )

    argv = build_command(settings)

    assert argv[:3] == [sys.executable, "-m", "modelserver"]
    assert _flags(argv) == {
        "--model": str(settings.resolved_local_llm_model_path),
        "--host": "127.0.0.1",
        "--port": "8123",
        "--n-ctx": "1024",
        "--n-threads": "3",
        "--model-alias": MODEL_ALIAS,
    }
    assert argv[argv.index("--model") + 1].endswith("SmolLM2-135M-Instruct.Q4_1.gguf")


def test_alias_matches_the_gateway_model_name() -> None:
    models_yaml = Settings().resolved_gateway_config.read_text()

    assert f"model: openai/{MODEL_ALIAS}" in models_yaml


def test_command_round_trips_through_the_server_cli() -> None:
    settings = Settings(local_llm_url="http://127.0.0.1:8123/v1")

    config = parse_args(build_command(settings)[3:], Settings(local_llm_url="http://x:1/v1"))

    assert (config.host, config.port, config.model_alias) == ("127.0.0.1", 8123, MODEL_ALIAS)
    assert config.model_path == settings.resolved_local_llm_model_path


def test_port_defaults_by_scheme_when_the_url_has_none() -> None:
    argv = build_command(Settings(local_llm_url="http://modelserver/v1"), host="0.0.0.0")

    assert (_flags(argv)["--port"], _flags(argv)["--host"]) == ("80", "0.0.0.0")


def test_missing_gguf_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.gguf"

    with pytest.raises(ModelFileMissing, match="LOCAL_LLM_MODEL_PATH") as raised:
        build_command(Settings(local_llm_model_path=missing))

    assert str(missing) in str(raised.value)
    assert raised.value.path == missing


def test_main_exits_with_the_message_instead_of_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.gguf"

    with pytest.raises(SystemExit) as raised:
        main(["--model", str(missing)])

    assert raised.value.code == 2
    assert f"GGUF model file not found: {missing}" in capsys.readouterr().err
