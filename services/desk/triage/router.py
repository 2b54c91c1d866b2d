"""The semantic router: labelled examples decide, a model settles what they leave unsure."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Final

from desk.triage.classifier import AskModel, ChatGateway, ask_for_route, ask_gateway
from desk.triage.decision import RouteDecision, intent_for, semantic_decision
from desk.triage.examples import EXAMPLES_DIR, load_examples
from desk.triage.index import ExampleIndex, load_index
from desk.triage.prompts import classification_messages
from desk.triage.routes import Route
from desk.triage.scoring import DEFAULT_K, Scores, score
from knowledge.embedder import Embedder
from supportdesk.config import Settings

log = logging.getLogger(__name__)

# Triage runs before every answer; a slow model here delays each unsure turn, so it gets a
# few seconds rather than the answer's budget, then the examples decide.
MODEL_TIMEOUT_S: Final = 5.0


class SemanticRouter:
    """Routes a message by its nearest labelled examples; asks `ask_model` only when unsure."""

    def __init__(
        self,
        embedder: Embedder,
        index: ExampleIndex,
        *,
        router_threshold: float,
        out_of_scope_threshold: float,
        ask_model: AskModel | None = None,
        k: int = DEFAULT_K,
        model_timeout_s: float = MODEL_TIMEOUT_S,
    ) -> None:
        self._embedder = embedder
        self._index = index
        self._router_threshold = router_threshold
        self._out_of_scope_threshold = out_of_scope_threshold
        self._ask_model = ask_model
        self._k = k
        self._model_timeout_s = model_timeout_s
        # out_of_scope is always possible: the threshold reaches it without any example.
        self.routes: tuple[Route, ...] = tuple(
            route for route in Route if route in index.rows_by_route or route is Route.OUT_OF_SCOPE
        )

    async def classify(self, text: str) -> RouteDecision:
        vectors = await self._embedder.embed([text])
        # Scoring is one matrix-vector product, well under a millisecond: cheaper on the
        # event loop than a hop to a worker thread.
        scores = score(self._index, vectors[0], self._k)
        decision = semantic_decision(scores, self._out_of_scope_threshold)
        if decision.confidence >= self._router_threshold or self._ask_model is None:
            return decision
        return await self._ask(text, scores, decision, self._ask_model)

    async def _ask(
        self, text: str, scores: Scores, decision: RouteDecision, ask_model: AskModel
    ) -> RouteDecision:
        messages = classification_messages(text, self.routes, decision.candidates)
        route = await ask_for_route(ask_model, messages, self.routes, self._model_timeout_s)
        if route is None:
            return decision.model_copy(update={"method": "fallback"})
        log.debug("triage model chose %s over %s", route, decision.route)
        return decision.model_copy(
            update={"route": route, "intent": intent_for(route, scores), "method": "model"}
        )


async def build_router(
    settings: Settings,
    embedder: Embedder,
    gateway: ChatGateway | None = None,
    *,
    examples_dir: Path = EXAMPLES_DIR,
) -> SemanticRouter:
    """The desk's router: shipped examples, the embedding cache under data_dir/router, and,
    given a gateway, its `triage` model group for the unsure cases."""
    examples = await asyncio.to_thread(load_examples, examples_dir)
    index = await load_index(examples, embedder, settings.router_cache)
    return SemanticRouter(
        embedder,
        index,
        router_threshold=settings.router_threshold,
        out_of_scope_threshold=settings.out_of_scope_threshold,
        ask_model=ask_gateway(gateway) if gateway is not None else None,
    )
