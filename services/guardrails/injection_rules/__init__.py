"""Patterns of direct prompt injection in a customer's message, by attack family.

Written from the known families (instruction override, system-prompt extraction, persona
jailbreaks, authority claims, encoding and output-format tricks, continuations, refusal
suppression, payload splitting), matched on `normalise`d text. Each pattern is built so a
bank customer's own words do not fire it: "ignore my last transfer" names no instructions,
"what are your rules for ATM fees" asks about a topic, "developer mode" on a phone needs an
AI-directed verb beside it to count. Weights are in `rules.combine`'s terms.
"""

from __future__ import annotations

from typing import Final

from guardrails.injection_rules import (
    authority,
    extraction,
    obfuscation,
    override,
    persona,
    suppression,
)
from guardrails.rules import Rule

DIRECT_RULES: Final[tuple[Rule, ...]] = (
    override.RULES
    + extraction.RULES
    + persona.RULES
    + authority.RULES
    + obfuscation.RULES
    + suppression.RULES
)
