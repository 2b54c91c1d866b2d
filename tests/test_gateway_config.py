"""models.yaml: which deployments and groups exist for which keys, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway import GatewayConfigError, build_gateway
from gateway.config import load_gateway_config
from supportdesk.config import Settings


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no developer .env
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "LOCAL_LLM_URL", "EMBEDDING_MODEL"):
        monkeypatch.delenv(name, raising=False)


def _ids(settings: Settings) -> dict[str, list[str]]:
    config = load_gateway_config(settings)
    return {group: [d.id for d in config.in_group(group)] for group in config.groups}


def test_without_keys_only_self_hosted_and_deterministic_deployments_exist() -> None:
    config = load_gateway_config(Settings())

    assert _ids(Settings()) == {
        "answer-local": ["answer-smollm2"],
        "answer-extractive": ["answer-extractive"],
        "embed": ["embed-minilm"],
    }
    assert {d.tier for d in config.deployments} == {"self-hosted", "deterministic"}
    assert {(d.id, d.missing) for d in config.dropped} >= {
        ("answer-openai", ("OPENAI_API_KEY",)),
        ("answer-anthropic", ("ANTHROPIC_API_KEY",)),
    }


def test_removed_groups_enter_their_chain_at_the_first_group_left() -> None:
    config = load_gateway_config(Settings())

    assert config.chain("answer") == ("answer-local", "answer-extractive")
    assert config.chain("triage") == ("answer-local",)
    assert config.chain("summarize") == ("answer-local",)
    assert config.chain("answer-extractive") == ("answer-extractive",)
    assert config.router_fallbacks() == [{"answer-local": ["answer-extractive"]}]


def test_a_key_switches_its_provider_on_and_puts_it_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    config = load_gateway_config(Settings())

    assert _ids(Settings())["answer"] == ["answer-openai"]
    assert _ids(Settings())["triage"] == ["triage-openai"]
    assert config.chain("answer") == ("answer", "answer-local", "answer-extractive")
    assert config.chain("triage") == ("triage", "answer-local")
    openai = config.by_id("answer-openai")
    assert openai.tier == "managed"
    assert openai.litellm_params["api_key"] == "sk-test"
    assert "sk-test" not in repr(openai)  # keys stay out of logs and tracebacks


def test_both_keys_share_the_managed_group(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")

    assert _ids(Settings())["answer"] == ["answer-openai", "answer-anthropic"]


def test_a_key_in_dotenv_counts(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("ANTHROPIC_API_KEY=sk-ant-from-dotenv\n")

    assert _ids(Settings())["answer"] == ["answer-anthropic"]


def test_local_url_and_timeouts_come_from_settings() -> None:
    config = load_gateway_config(
        Settings(local_llm_url="http://10.0.0.7:9000/v1", model_timeout_s=12.5)
    )

    local = config.by_id("answer-smollm2")
    assert local.api_base == "http://10.0.0.7:9000/v1"
    assert local.litellm_params["timeout"] == 12.5
    # In-process deployments cross no network: a timeout there would mean nothing.
    assert "timeout" not in config.by_id("answer-extractive").litellm_params


async def test_embedding_model_setting_replaces_the_embed_deployment() -> None:
    gateway_settings = Settings(embedding_model="openai/text-embedding-3-small")
    config = load_gateway_config(gateway_settings)

    (embed,) = config.in_group("embed")
    assert embed.model == "openai/text-embedding-3-small"
    assert embed.tier == "managed"
    assert embed.dimension == 1536  # from LiteLLM's model map, no call made
    gateway = build_gateway(gateway_settings)
    assert gateway.embedder.name == "openai/text-embedding-3-small"
    assert gateway.embedder.dimension == 1536
    await gateway.aclose()


async def test_default_embedder_is_the_in_process_model() -> None:
    gateway = build_gateway(Settings())

    assert gateway.embedder.name == "local/all-MiniLM-L6-v2"
    assert gateway.embedder.dimension == 384
    await gateway.aclose()


VALID_TAIL = """
  - model_name: embed
    litellm_params: {model: local/all-MiniLM-L6-v2}
    model_info: {id: embed-minilm, serving_tier: self-hosted, dimension: 384}
"""


@pytest.mark.parametrize(
    ("yaml_text", "problem"),
    [
        ("model_list: [", "not valid YAML"),
        ("- just a list", "expected a mapping"),
        (
            "model_list:\n  - model_name: answer\n    litellm_params: {model: openai/x}\n"
            "    model_info: {id: a, serving_tier: paid}\n" + VALID_TAIL,
            "model_list[0].model_info.serving_tier",
        ),
        (
            "model_list:\n  - model_name: answer\n    litellm_params: {api_key: k}\n"
            "    model_info: {id: a, serving_tier: managed}\n" + VALID_TAIL,
            "model_list[0].litellm_params",
        ),
        (
            "model_list:\n" + VALID_TAIL + "router_settings:\n  fallbacks:\n"
            "    - embed: [answer-local]\n",
            "undeclared groups: ['answer-local']",
        ),
        (
            "model_list:\n" + VALID_TAIL + VALID_TAIL.replace("embed-minilm", "embed-2"),
            "exactly one deployment",
        ),
        (
            "model_list:\n" + VALID_TAIL + VALID_TAIL.replace("model_name: embed", "model_name: x"),
            "repeated: embed-minilm",
        ),
    ],
)
def test_invalid_yaml_names_the_file_and_the_problem(
    tmp_path: Path, yaml_text: str, problem: str
) -> None:
    path = tmp_path / "models.yaml"
    path.write_text(yaml_text)

    with pytest.raises(GatewayConfigError) as raised:
        load_gateway_config(Settings(gateway_config=path))

    assert str(path) in str(raised.value)
    assert problem in str(raised.value)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(GatewayConfigError, match="cannot read"):
        load_gateway_config(Settings(gateway_config=tmp_path / "absent.yaml"))


def test_router_settings_litellm_rejects_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "models.yaml"
    path.write_text("model_list:\n" + VALID_TAIL + "router_settings:\n  no_such_knob: 1\n")

    with pytest.raises(GatewayConfigError, match="no_such_knob") as raised:
        build_gateway(Settings(gateway_config=path))

    assert str(path) in str(raised.value)


def test_models_yaml_is_a_litellm_proxy_model_list() -> None:
    """The bundled file keeps LiteLLM's own format, so a LiteLLM Proxy can load it too."""
    import inspect

    import litellm
    import yaml
    from litellm.types.router import Deployment as LiteLLMDeployment

    from supportdesk.config import Settings

    raw = yaml.safe_load(Settings().resolved_gateway_config.read_text())
    for entry in raw["model_list"]:
        LiteLLMDeployment(**entry)
    router_arguments = set(inspect.signature(litellm.Router.__init__).parameters)
    assert set(raw["router_settings"]) <= router_arguments
