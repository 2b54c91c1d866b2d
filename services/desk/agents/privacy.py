"""Does a request carry customer personal data? Then it must stay on self-hosted models.

Deterministic patterns for what a bank's customers paste into a chat: card numbers, IBANs,
UK sort codes and account numbers, e-mail addresses, phone numbers, long reference
numbers. Names and addresses are not detected; a tenant that needs every request kept
in-house sets it as policy (`PRIVATE_TENANTS`) instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_PATTERNS = {
    "card_number": re.compile(r"\b(?:\d[ -]?){12,18}\d\b"),
    "iban": re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b"),
    "sort_code": re.compile(r"\b\d{2}-\d{2}-\d{2}\b"),
    "email": re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"),
    "phone": re.compile(r"(?<![\w])\+?\d[\d ()-]{8,}\d\b"),
    "long_number": re.compile(r"\b\d{8,}\b"),
}


def personal_data_kinds(text: str) -> list[str]:
    return [kind for kind, pattern in _PATTERNS.items() if pattern.search(text)]


def carries_personal_data(texts: Iterable[str]) -> bool:
    return any(personal_data_kinds(text) for text in texts)
