"""The extractive responder as a LiteLLM custom provider (`extractive/responder`).

The Router calls it like any model, so it sits in the `answer` chain, is counted in
fallback metadata and reports which deployment answered. It reads the request's metadata
from `litellm_params["metadata"]`: the Router passes the caller's dict through, with its
own routing keys (model_group, deployment, previous_models, ...) added alongside.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import httpx
from litellm import CustomLLM
from litellm.llms.custom_httpx.http_handler import AsyncHTTPHandler
from litellm.types.utils import GenericStreamingChunk, ModelResponse, Usage

from gateway.extractive import Source, compose_answer
from gateway.prompt_sources import PromptSources, parse_prompt

logger = logging.getLogger(__name__)


class ExtractiveResponder(CustomLLM):
    async def acompletion(
        self,
        model: str,
        messages: list[Any],
        api_base: str,
        custom_prompt_dict: dict[str, Any],
        model_response: ModelResponse,
        print_verbose: Callable[..., Any],
        encoding: Any,
        api_key: Any,
        logging_obj: Any,
        optional_params: dict[str, Any],
        acompletion: Any = None,
        litellm_params: Any = None,
        logger_fn: Any = None,
        headers: Any = None,
        timeout: float | httpx.Timeout | None = None,  # noqa: ASYNC109 (LiteLLM's signature)
        client: AsyncHTTPHandler | None = None,
    ) -> ModelResponse:
        model_response.choices[0].message.content = answer_request(messages, litellm_params)
        model_response.model = model
        model_response.usage = Usage(prompt_tokens=0, completion_tokens=0, total_tokens=0)  # type: ignore[attr-defined]
        return model_response

    # An async generator, as LiteLLM iterates it; the base class declares a coroutine.
    async def astreaming(  # type: ignore[override,misc]
        self,
        model: str,
        messages: list[Any],
        api_base: str,
        custom_prompt_dict: dict[str, Any],
        model_response: ModelResponse,
        print_verbose: Callable[..., Any],
        encoding: Any,
        api_key: Any,
        logging_obj: Any,
        optional_params: dict[str, Any],
        acompletion: Any = None,
        litellm_params: Any = None,
        logger_fn: Any = None,
        headers: Any = None,
        timeout: float | httpx.Timeout | None = None,  # noqa: ASYNC109 (LiteLLM's signature)
        client: AsyncHTTPHandler | None = None,
    ) -> AsyncIterator[GenericStreamingChunk]:
        words = answer_request(messages, litellm_params).split(" ")
        for i, word in enumerate(words):
            last = i == len(words) - 1
            yield GenericStreamingChunk(
                text=word if last else f"{word} ",
                is_finished=last,
                finish_reason="stop" if last else "",
                usage={"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
                if last
                else None,
                index=0,
                tool_use=None,
            )


def answer_request(messages: list[Any], litellm_params: Mapping[str, Any] | None) -> str:
    """Metadata first; the prompt only when the caller sent no sources as metadata."""
    metadata = (litellm_params or {}).get("metadata") or {}
    prompt = _prompt_sources(messages)
    sources = _metadata_sources(metadata.get("sources")) or prompt.sources
    question = metadata.get("question")
    if not isinstance(question, str) or not question.strip():
        question = prompt.question or _last_user_text(messages)
    return compose_answer(question, sources, vouched=metadata.get("sources_vouched") is True)


def _metadata_sources(raw: Any) -> list[Source]:
    if not isinstance(raw, list):
        return []
    sources = []
    for item in raw:
        n, text = (item.get("n"), item.get("text")) if isinstance(item, dict) else (None, None)
        if isinstance(n, int) and not isinstance(n, bool) and isinstance(text, str):
            sources.append(Source(n=n, title=str(item.get("title") or ""), text=text))
        else:
            # The caller broke the contract; answering from the rest beats failing the
            # last tier of the chain, and the log says what to fix.
            logger.warning("extractive responder skipped a malformed source: %.200r", item)
    return sources


def _prompt_sources(messages: list[Any]) -> PromptSources:
    for message in reversed(messages):
        parsed = parse_prompt(_text(message))
        if parsed.sources or parsed.question:
            return parsed
    return PromptSources(sources=[], question=None)


def _last_user_text(messages: list[Any]) -> str:
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            return _text(message)
    return ""


def _text(message: Any) -> str:
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # OpenAI content parts: keep the text ones
        return "\n".join(p["text"] for p in content if isinstance(p, dict) and "text" in p)
    return ""
