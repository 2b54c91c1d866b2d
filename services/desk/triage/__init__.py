"""Triage's semantic router: where a customer's message goes (knowledge, handoff, smalltalk,
out of scope), decided by the nearest labelled examples and, when they are unsure, a model."""

from desk.triage.classifier import AskModel, ChatGateway, ChatMessage, ask_gateway
from desk.triage.decision import RouteDecision
from desk.triage.examples import EXAMPLES_DIR, Example, ExampleSet, load_examples
from desk.triage.index import ExampleIndex, load_index
from desk.triage.router import SemanticRouter, build_router
from desk.triage.routes import INTENT_ROUTES, Route, route_for

__all__ = [
    "EXAMPLES_DIR",
    "INTENT_ROUTES",
    "AskModel",
    "ChatGateway",
    "ChatMessage",
    "Example",
    "ExampleIndex",
    "ExampleSet",
    "Route",
    "RouteDecision",
    "SemanticRouter",
    "ask_gateway",
    "build_router",
    "load_examples",
    "load_index",
    "route_for",
]
