"""Guardrails around the desk's model calls.

- `injection.InjectionGuard`: is a customer's message an attempt to take over the assistant?
- `indirect.IndirectGuard`: which sentences of retrieved content are instructions planted
  for the assistant? Removes them (`retrieved.neutralise_hits` for search results).
- `pii.redact` / `pii.RedactingFilter`: customer personal data masked in text and in logs.
- `evaluate`: the `supportdesk eval redteam` command.
"""

from guardrails.indirect import Finding, IndirectGuard, Neutralised
from guardrails.injection import SAFE_REPLY, InjectionGuard, Verdict
from guardrails.pii import RedactingFilter, Redaction, personal_data_kinds, redact

__all__ = [
    "SAFE_REPLY",
    "Finding",
    "IndirectGuard",
    "InjectionGuard",
    "Neutralised",
    "RedactingFilter",
    "Redaction",
    "Verdict",
    "personal_data_kinds",
    "redact",
]
