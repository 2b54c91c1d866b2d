"""Customer personal data in text: find it (`personal_data_kinds`) and mask it (`redact`).

The kinds a bank's customers paste into a chat, as typed placeholders:

| kind | placeholder | matched |
|---|---|---|
| email | [EMAIL] | name@domain.tld |
| iban | [IBAN] | two letters, two check digits, 11-30 letters/digits; mod-97 valid, or grouped |
| card_number | [CARD_NUMBER] | 13-19 digits passing the Luhn check, or grouped 4-4-4-4 |
| sort_code | [SORT_CODE] | 12-34-56 when it cannot be a date, or after "sort code" |
| account_number | [ACCOUNT_NUMBER] | 8 digits after "account" or right after a sort code |
| phone | [PHONE] | +44 / 0 UK numbers and +<country> international numbers, 10-15 digits |
| long_number | [NUMBER] | any other run of 8+ digits (references, IDs, mistyped cards) |

Digits glued to letters are part of a token, not a number someone typed: a conversation
id's hex ("9f3a41238867b2...") or "cus_12345678" stays whole, so logs stay searchable by id.

What is left alone, on purpose: amounts ("£1,250.00"), dates ("2024-01-15", "15/01/2024",
"12-05-24"), durations ("10 working days"), short codes and references with letters
("HB-2024-118"), and numbers under 8 digits. A bare 8-digit run is a [NUMBER], since it may
be an account number: "20240115" as a date is lost with it, the price of never leaking one.
A date-shaped "12-05-24" is taken for a date unless "sort code" is near it: a date in a log
is worth more than the rare sort code written without its name. Names and postal addresses
are not detected.

`RedactingFilter` applies `redact` to every log record, so logs never hold these values.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

PLACEHOLDERS: Final = {
    "email": "[EMAIL]",
    "iban": "[IBAN]",
    "card_number": "[CARD_NUMBER]",
    "sort_code": "[SORT_CODE]",
    "account_number": "[ACCOUNT_NUMBER]",
    "phone": "[PHONE]",
    "long_number": "[NUMBER]",
}

EMAIL: Final = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")
# Letters, check digits, then groups of up to 4 (spaces allowed only between groups).
IBAN: Final = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b")
# 13-19 digits, optionally in groups separated by single spaces or dashes.
CARD: Final = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
SORT_CODE: Final = re.compile(r"(?<![\d-])(\d{2})([- ]?)(\d{2})\2(\d{2})(?![\d-])")
ACCOUNT: Final = re.compile(r"(?<![\d-])\d{8}(?![\d-])")
PHONE: Final = re.compile(
    r"(?<![\w+(])(?:\+\d{1,3}[ .-]?(?:\(0\)[ .-]?)?|\(?0)\d(?:[ .-]?\)?[ .-]?\d){8,12}(?!\d)"
)
LONG_NUMBER: Final = re.compile(r"(?<![\w.,£$€])\d{8,}(?![\w.,])")

_SORT_CODE_CONTEXT = re.compile(r"sort[ -]?code|\bs/c\b", re.IGNORECASE)
_ACCOUNT_CONTEXT = re.compile(r"\b(?:account|acct|acc|a/c)\b", re.IGNORECASE)
# Phone-shaped numbers that follow these words are references, not phones.
_REFERENCE_CONTEXT = re.compile(
    r"\b(?:ref(?:erence)?|order|invoice|transaction|payment|case|ticket|tracking|id)"
    r"(?:\s(?:number|no\.?|id|code))?\s*[:#]?\s*$",
    re.IGNORECASE,
)
_ORDER: Final = tuple(PLACEHOLDERS)
_CONTEXT_CHARS = 24


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str


@dataclass(frozen=True)
class Redaction:
    text: str
    kinds: tuple[str, ...]
    """The kinds replaced, each once, in the order of `PLACEHOLDERS`."""

    @property
    def redacted(self) -> bool:
        return bool(self.kinds)


def redact(text: str, allow: Iterable[str] = ()) -> Redaction:
    """`text` with personal data replaced by placeholders. Values in `allow` (the bank's own
    published phone number, say) are kept; they are compared without spaces or dashes."""
    kept = {_compact(value) for value in allow}
    spans = [s for s in find(text) if _compact(text[s.start : s.end]) not in kept]
    out, position = [], 0
    for span in spans:
        out += [text[position : span.start], PLACEHOLDERS[span.kind]]
        position = span.end
    out.append(text[position:])
    kinds = {span.kind for span in spans}
    return Redaction("".join(out), tuple(k for k in _ORDER if k in kinds))


def _compact(value: str) -> str:
    return re.sub(r"[\s().-]", "", value).lower()


def personal_data_kinds(text: str) -> list[str]:
    """The kinds of personal data in `text`, for routing decisions (no text is changed)."""
    return list(redact(text).kinds)


def find(text: str) -> list[Span]:
    """Non-overlapping spans, earlier kinds in `PLACEHOLDERS` winning any overlap."""
    taken: list[Span] = []
    for kind, finder in _FINDERS:
        for start, end in finder(text):
            if not any(start < s.end and s.start < end for s in taken):
                taken.append(Span(start, end, kind))
    return sorted(taken, key=lambda s: s.start)


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        value = int(char)
        if i % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def iban_valid(candidate: str) -> bool:
    """The ISO 13616 mod-97 check."""
    compact = candidate.replace(" ", "").upper()
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


def _emails(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in EMAIL.finditer(text)]


def _ibans(text: str) -> list[tuple[int, int]]:
    found = []
    for m in IBAN.finditer(text):
        candidate = m.group(0)
        # A valid checksum is proof; IBAN-shaped groups of four are a mistyped IBAN.
        if iban_valid(candidate) or re.fullmatch(
            r"[A-Z]{2}\d{2}(?: [A-Z0-9]{4}){3,7}.*", candidate
        ):
            found.append(m.span())
    return found


def _cards(text: str) -> list[tuple[int, int]]:
    found = []
    for m in CARD.finditer(text):
        candidate = m.group(0)
        digits = re.sub(r"\D", "", candidate)
        grouped = re.fullmatch(r"\d{4}([ -])\d{4}\1\d{4}\1\d{4}(?:\1\d{1,3})?", candidate)
        if luhn_valid(digits) or grouped:
            found.append(m.span())
    return found


def _sort_codes(text: str) -> list[tuple[int, int]]:
    found = []
    for m in SORT_CODE.finditer(text):
        before = text[max(0, m.start() - _CONTEXT_CHARS) : m.start()]
        after = text[m.end() : m.end() + 12]
        named = bool(_SORT_CODE_CONTEXT.search(before))
        beside_account = bool(re.match(r"[ ,/]*\d{8}(?!\d)", after))
        dashed = m.group(2) == "-"
        first, second = int(m.group(1)), int(m.group(3))
        could_be_date = (1 <= first <= 31 and 1 <= second <= 12) or (
            1 <= first <= 12 and 1 <= second <= 31
        )
        # Six bare digits are only a sort code when named: otherwise any number could be.
        if named or (m.group(2) and beside_account) or (dashed and not could_be_date):
            found.append(m.span())
    return found


def _accounts(text: str) -> list[tuple[int, int]]:
    found = []
    for m in ACCOUNT.finditer(text):
        before = text[max(0, m.start() - _CONTEXT_CHARS) : m.start()]
        after_sort_code = bool(re.search(r"\d{2}[- ]\d{2}[- ]\d{2}[ ,/]*$", before))
        if _ACCOUNT_CONTEXT.search(before) or after_sort_code:
            found.append(m.span())
    return found


def _phones(text: str) -> list[tuple[int, int]]:
    found = []
    for m in PHONE.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if not 10 <= len(digits) <= 15:
            continue
        if _REFERENCE_CONTEXT.search(text[max(0, m.start() - _CONTEXT_CHARS) : m.start()]):
            continue
        found.append(m.span())
    return found


def _long_numbers(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in LONG_NUMBER.finditer(text)]


_FINDERS: Final[tuple[tuple[str, Callable[[str], list[tuple[int, int]]]], ...]] = (
    ("email", _emails),
    ("iban", _ibans),
    ("card_number", _cards),
    ("sort_code", _sort_codes),
    ("account_number", _accounts),
    ("phone", _phones),
    ("long_number", _long_numbers),
)


class RedactingFilter(logging.Filter):
    """Redacts personal data from log records before any handler formats them.

    The message is formatted with its arguments first (a card number can arrive as an
    argument), then redacted, and the arguments dropped; a traceback's text is redacted
    too. Attach it to handlers (`handler.addFilter(RedactingFilter())`) so records from
    every logger pass through it.

    `keep_args` is for loggers whose formatter reads the arguments themselves (uvicorn's
    access log unpacks them): each string argument is redacted and kept instead.
    """

    def __init__(
        self, name: str = "", allow: Iterable[str] = (), *, keep_args: bool = False
    ) -> None:
        super().__init__(name)
        self._allow = tuple(allow)
        self._keep_args = keep_args

    def filter(self, record: logging.LogRecord) -> bool:
        if self._keep_args and isinstance(record.args, tuple):
            record.msg = redact(str(record.msg), self._allow).text
            record.args = tuple(
                redact(arg, self._allow).text if isinstance(arg, str) else arg
                for arg in record.args
            )
            return True
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            # A malformed call must still be logged, and still redacted.
            message = f"{record.msg} {record.args}"
        record.msg = redact(message, self._allow).text
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self._allow).text
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self._allow).text
        return True
