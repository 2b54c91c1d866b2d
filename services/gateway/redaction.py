"""Customer personal data masked in every request that goes to a deployment we do not run
as a model ourselves (ADR 0015).

Decided per hop of a chain, not per request: a group whose deployments are all
`self-hosted` gets the messages as the caller wrote them; any other group (a managed API,
or a group that mixes tiers, since the Router picks the deployment) gets them with
`guardrails.pii`'s typed placeholders ("[CARD_NUMBER]", "[EMAIL]", ...). So when a
managed model fails and the chain falls back to the self-hosted one, that one still reads
the original text. Deterministic code needs no personal data and gets the masked text too:
only a model we host may read it. `allow` keeps the bank's own published numbers and
addresses, which the help centre quotes to customers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from guardrails.pii import redact


def redact_messages(
    messages: Sequence[Mapping[str, Any]], allow: Iterable[str] = ()
) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
    """Copies of `messages` with personal data masked, and the kinds that were."""
    allowed = tuple(allow)
    kinds: dict[str, None] = {}

    def masked(text: str) -> str:
        redaction = redact(text, allowed)
        kinds.update(dict.fromkeys(redaction.kinds))
        return redaction.text

    out = []
    for message in messages:
        copy = dict(message)
        content = copy.get("content")
        if isinstance(content, str):
            copy["content"] = masked(content)
        elif isinstance(content, list):  # OpenAI content parts: mask the text ones
            copy["content"] = [
                {**part, "text": masked(part["text"])}
                if isinstance(part, dict) and isinstance(part.get("text"), str)
                else part
                for part in content
            ]
        out.append(copy)
    return out, tuple(kinds)


def redact_texts(texts: Sequence[str], allow: Iterable[str] = ()) -> list[str]:
    allowed = tuple(allow)
    return [redact(text, allowed).text for text in texts]
