"""Where a turn's model calls may go, and what they carry there (ADR 0015).

- Tenant policy (`PRIVATE_TENANTS`, in `DeskContext.private`) keeps every call of the turn
  on self-hosted and deterministic deployments.
- Otherwise a call may reach a managed deployment, and the gateway masks customer personal
  data in each attempt that goes there (gateway.redaction), while a self-hosted fallback
  still reads the original. So personal data no longer pins a request to self-hosted
  models; it is only reported here, from the same detector (`guardrails.pii`), so a
  turn's metadata says what a managed model would have had masked.
- Handoff summaries are transcripts and always stay self-hosted (desk.agents.handoff).
"""

from __future__ import annotations

from collections.abc import Iterable

from desk.agents.state import DeskContext
from guardrails.pii import personal_data_kinds


def keeps_self_hosted(context: DeskContext) -> bool:
    return context.private


def personal_data_in(texts: Iterable[str]) -> list[str]:
    """The kinds of personal data across `texts`, each once, in order of first sight."""
    kinds: dict[str, None] = {}
    for text in texts:
        kinds.update(dict.fromkeys(personal_data_kinds(text)))
    return list(kinds)
