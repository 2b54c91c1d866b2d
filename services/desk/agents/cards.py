"""The cards agent: status and delivery, freeze and unfreeze, report lost or stolen.

Reads the customer's cards, works out what the message asks (desk.actions.phrases), and
either states the facts, proposes one action on one card for the customer to confirm,
or asks which card when several fit. Questions its records cannot answer ("how long does
a new card take?" from a customer with no card in the post) go to the help centre.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langgraph.runtime import Runtime

from bank import Card
from bank.rules import format_day
from desk.actions import phrases
from desk.agents.services import AgentServices
from desk.agents.specialist import (
    Turn,
    follow_up,
    propose,
    question_pending,
    refuse_other_customer,
    reply,
    to_knowledge,
    turn_of,
)
from desk.agents.state import DeskContext, DeskState

AGENT = "cards"
# Intents whose answer depends on the customer's own cards.
DELIVERY_INTENTS = frozenset({"card_arrival", "card_delivery_estimate"})
NOT_WORKING_INTENTS = frozenset(
    {"card_not_working", "declined_card_payment", "contactless_not_working", "card_acceptance"}
)
LIST_WORDS = ("my cards", "which cards", "list", "show", "status of my card", "card status")


def describe(card: Card) -> str:
    if card.status == "in_post":
        parts = [f"your new {card.label} is in the post"]
        if card.dispatched_at is not None:
            parts.append(f"dispatched {format_day(card.dispatched_at.date())}")
        if card.expected_by is not None:
            parts.append(f"due by {format_day(card.expected_by)}")
        return ", ".join(parts)
    if card.status == "frozen":
        return f"your {card.label} is frozen"
    if card.status in ("lost", "stolen"):
        return f"your {card.label} was reported {card.status} and is blocked"
    if card.status == "cancelled":
        return f"your {card.label} is cancelled"
    return f"your {card.label} is active"


def sentence(text: str) -> str:
    return text[0].upper() + text[1:] + "."


def card_list(cards: Sequence[Card]) -> str:
    return " ".join(sentence(describe(card)) for card in cards)


def make_cards(services: AgentServices):  # type: ignore[no-untyped-def]
    async def cards(state: DeskState, runtime: Runtime[DeskContext]) -> dict[str, Any]:
        turn = turn_of(services, state, runtime)
        if turn is None:
            return to_knowledge()
        if phrases.about_someone_else(turn.text):
            return refuse_other_customer(AGENT)
        owned = await turn.bank.list_cards(turn.who.tenant, turn.who.customer_id)
        operation = pending_operation(state, turn) or phrases.card_operation(turn.text)
        return decide(turn, operation, owned)

    return cards


def pending_operation(state: DeskState, turn: Turn) -> str | None:
    """The operation of the question this agent asked last turn ("which card?")."""
    asked = question_pending(state)
    if asked and asked.get("agent") == AGENT and phrases.card_operation(turn.text) == "status":
        return str(asked["operation"])
    return None


def decide(turn: Turn, operation: str, owned: Sequence[Card]) -> dict[str, Any]:
    if not owned:
        return to_knowledge()
    named = phrases.cards_named(turn.text, owned)
    if operation == "status":
        return status(turn, owned)
    if operation == "unfreeze":
        frozen = [c for c in named if c.status == "frozen"]
        # Nothing frozen: "unblock my card" is then about a PIN or a reported card, which
        # the help centre explains.
        return one_card(turn, operation, frozen, owned) if frozen else to_knowledge()
    if operation == "freeze":
        return one_card(turn, operation, [c for c in named if c.status == "active"], owned)
    if operation == "lost":
        # Freezing first is reversible: the card may turn up.
        physical = [c for c in named if c.kind == "physical"] or list(named)
        active = [c for c in physical if c.status == "active"]
        if active:
            return one_card(turn, "freeze", active, owned, lost=True)
        frozen = [c for c in physical if c.status == "frozen"]
        if frozen:
            return one_card(turn, "report_lost", frozen, owned)
        return reply(AGENT, "Here is where your cards stand: " + card_list(owned))
    reportable = [c for c in named if c.status in ("active", "frozen", "in_post")]
    return one_card(turn, operation, reportable, owned)


def status(turn: Turn, owned: Sequence[Card]) -> dict[str, Any]:
    lower = turn.text.lower()
    in_post = [c for c in owned if c.status == "in_post"]
    if in_post and (turn.intent in DELIVERY_INTENTS or "arriv" in lower or "deliver" in lower):
        return reply(
            AGENT,
            card_list(in_post) + " If it hasn't arrived by then, tell me and I'll help you "
            "report it and send another.",
        )
    frozen = [c for c in owned if c.status == "frozen"]
    if frozen and turn.intent in NOT_WORKING_INTENTS and len(frozen) == 1:
        card = frozen[0]
        return propose(
            AGENT,
            "unfreeze_card",
            {"card_id": card.id},
            f"Your {card.label} is frozen, so payments with it are declined. "
            "Shall I unfreeze it now?",
            summary=f"Unfreeze {card.label}",
            declined=f"Your {card.label} stays frozen.",
        )
    if any(word in lower for word in LIST_WORDS):
        return reply(AGENT, card_list(owned))
    return to_knowledge()


def one_card(
    turn: Turn,
    operation: str,
    candidates: Sequence[Card],
    owned: Sequence[Card],
    *,
    lost: bool = False,
) -> dict[str, Any]:
    if not candidates:
        verb = {"unfreeze": "unfreeze", "freeze": "freeze"}.get(operation, "report")
        return reply(
            AGENT,
            f"I can't {verb} any of your cards right now: {card_list(owned)}",
        )
    if len(candidates) > 1:
        choices = {card.last4: card.id for card in candidates}
        listed = ", ".join(f"the {card.label}" for card in candidates)
        return {
            **reply(AGENT, f"Which card do you mean: {listed}? Tell me its last four digits."),
            **follow_up(turn, AGENT, operation, choices),
        }
    card = candidates[0]
    if operation == "freeze":
        question = (
            f"I'm sorry to hear that. Shall I freeze your {card.label} now? Nobody will be "
            "able to pay with it, and if it turns up you can unfreeze it. If it's gone for "
            "good, I can then report it lost and send you a replacement."
            if lost
            else f"Shall I freeze your {card.label}? Payments and cash withdrawals will be "
            "declined until you unfreeze it."
        )
        return propose(
            AGENT,
            "freeze_card",
            {"card_id": card.id},
            question,
            summary=f"Freeze {card.label}",
            declined=f"I've left your {card.label} as it is.",
        )
    if operation == "unfreeze":
        return propose(
            AGENT,
            "unfreeze_card",
            {"card_id": card.id},
            f"Shall I unfreeze your {card.label}? It will work again straight away.",
            summary=f"Unfreeze {card.label}",
            declined=f"Your {card.label} stays frozen.",
        )
    reason = "stolen" if operation == "report_stolen" else "lost"
    return propose(
        AGENT,
        "report_card",
        {"card_id": card.id, "reason": reason},
        f"Shall I report your {card.label} {reason}? It will be blocked for good (this "
        "can't be undone) and we'll post you a replacement with a new number.",
        summary=f"Report {card.label} {reason} and send a replacement",
        declined=f"I haven't reported your {card.label}.",
    )
