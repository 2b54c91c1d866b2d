"""The routes triage can choose, and which route each example intent belongs to.

Routes come from the examples' intent labels: the router never branches on an intent, so a
new route (card actions, payments) is a new `Route` member, its description, its intents
below and their examples, with no change to the scoring code.
"""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType
from typing import Final


class Route(StrEnum):
    KNOWLEDGE = "knowledge"
    HANDOFF = "handoff"
    SMALLTALK = "smalltalk"
    OUT_OF_SCOPE = "out_of_scope"


# One line each: the model fallback's prompt lists them, so they are written for a model.
ROUTE_DESCRIPTIONS: Final[MappingProxyType[Route, str]] = MappingProxyType(
    {
        Route.KNOWLEDGE: (
            "a question about Harbor Bank: cards, payments, transfers, top-ups, fees, "
            "the account or the app, answered from the help centre"
        ),
        Route.HANDOFF: "the customer asks for a human agent, wants to complain or to escalate",
        Route.SMALLTALK: (
            "a greeting, thanks, goodbye, or a question about the assistant itself (are you a bot?)"
        ),
        Route.OUT_OF_SCOPE: (
            "not about banking with Harbor Bank: weather, recipes, maths, trivia, "
            "other companies' products"
        ),
    }
)

OUT_OF_SCOPE_INTENT: Final = "out_of_scope"

# The BANKING77 labels exactly as published, quirks included ("Refund_not_showing_up",
# "reverted_card_payment?"): evaluation sets and help-centre front matter use them verbatim.
BANKING77_INTENTS: Final[tuple[str, ...]] = (
    "card_arrival",
    "card_linking",
    "exchange_rate",
    "card_payment_wrong_exchange_rate",
    "extra_charge_on_statement",
    "pending_cash_withdrawal",
    "fiat_currency_support",
    "card_delivery_estimate",
    "automatic_top_up",
    "card_not_working",
    "exchange_via_app",
    "lost_or_stolen_card",
    "age_limit",
    "pin_blocked",
    "contactless_not_working",
    "top_up_by_bank_transfer_charge",
    "pending_top_up",
    "cancel_transfer",
    "top_up_limits",
    "wrong_amount_of_cash_received",
    "card_payment_fee_charged",
    "transfer_not_received_by_recipient",
    "supported_cards_and_currencies",
    "getting_virtual_card",
    "card_acceptance",
    "top_up_reverted",
    "balance_not_updated_after_cheque_or_cash_deposit",
    "card_payment_not_recognised",
    "edit_personal_details",
    "why_verify_identity",
    "unable_to_verify_identity",
    "get_physical_card",
    "visa_or_mastercard",
    "topping_up_by_card",
    "disposable_card_limits",
    "compromised_card",
    "atm_support",
    "direct_debit_payment_not_recognised",
    "passcode_forgotten",
    "declined_cash_withdrawal",
    "pending_card_payment",
    "lost_or_stolen_phone",
    "request_refund",
    "declined_transfer",
    "Refund_not_showing_up",
    "declined_card_payment",
    "pending_transfer",
    "terminate_account",
    "card_swallowed",
    "transaction_charged_twice",
    "verify_source_of_funds",
    "transfer_timing",
    "reverted_card_payment?",
    "change_pin",
    "beneficiary_not_allowed",
    "transfer_fee_charged",
    "receiving_money",
    "failed_transfer",
    "transfer_into_account",
    "verify_top_up",
    "getting_spare_card",
    "top_up_by_cash_or_cheque",
    "order_physical_card",
    "virtual_card_not_working",
    "wrong_exchange_rate_for_cash_withdrawal",
    "get_disposable_virtual_card",
    "top_up_failed",
    "balance_not_updated_after_bank_transfer",
    "cash_withdrawal_not_recognised",
    "exchange_charge",
    "top_up_by_card_charge",
    "activate_my_card",
    "cash_withdrawal_charge",
    "card_about_to_expire",
    "apple_pay_or_google_pay",
    "verify_my_identity",
    "country_support",
)

INTENT_ROUTES: Final[MappingProxyType[str, Route]] = MappingProxyType(
    {
        **dict.fromkeys(BANKING77_INTENTS, Route.KNOWLEDGE),
        "human_agent": Route.HANDOFF,
        "greeting": Route.SMALLTALK,
        "thanks": Route.SMALLTALK,
        "goodbye": Route.SMALLTALK,
        "bot_identity": Route.SMALLTALK,
        OUT_OF_SCOPE_INTENT: Route.OUT_OF_SCOPE,
    }
)


def route_for(intent: str) -> Route:
    """The route an intent belongs to; an unmapped intent is a data error, not a default."""
    try:
        return INTENT_ROUTES[intent]
    except KeyError:
        raise ValueError(f"intent {intent!r} has no route in desk.triage.routes") from None
