"""Undo the cheap disguises attackers put on text before any rule or model looks at it.

Rules match words, so an attack that hides its words (full-width letters, zero-width joiners,
Cyrillic look-alikes, "1gn0re", "i g n o r e", ROT13, base64, Unicode tag characters) would
walk past them. `views` returns every reading of a message worth matching: the normalised
text, and any decoded payload; `hidden_payloads` says which disguises were found, because
a customer never types base64 or invisible characters to a bank.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import unicodedata
from dataclasses import dataclass

# Cyrillic and Greek letters that render like Latin ones; NFKC leaves them alone.
_CONFUSABLES = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
        "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d",
        "ɡ": "g", "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O",
        "Р": "P", "С": "C", "Т": "T", "Х": "X", "І": "I", "Ѕ": "S", "α": "a", "ο": "o",
        "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ρ": "p", "τ": "t", "υ": "u", "Α": "A",
        "Β": "B", "Ε": "E", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P",
        "Τ": "T", "Χ": "X", "Υ": "Y", "Ζ": "Z",
    }
)  # fmt: skip
# Only applied inside a word that mixes letters with these, so "£150" stays a number.
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"}
)
_LEET_WORD = re.compile(r"(?=[\w@$!]*[a-z])(?=[\w@$!]*[013457@$!])[a-z0-9@$!]{3,}")
# Single letters separated by one space, dot, dash or underscore: "i g n o r e", "s.y.s.t.e.m".
_SPACED_OUT = re.compile(r"\b(?:[a-z][ ._-]){2,}[a-z]\b")
_WHITESPACE = re.compile(r"\s+")
# Unicode "tag" characters mirror ASCII invisibly (U+E0020..U+E007E); used to smuggle text.
_TAG_BASE = 0xE0000
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")
_HEX_RUN = re.compile(r"\b(?:[0-9a-fA-F]{2}[ :]?){12,}\b")
_BINARY_RUN = re.compile(r"\b(?:[01]{8}\s?){4,}\b")
# Words without which no rule matches; a decoded reading lacking all of them is gibberish.
_ATTACK_WORDS = re.compile(
    r"\b(?:ignore|disregard|forget|instructions?|prompt|system|rules|previous|reveal|repeat"
    r"|pretend|act|mode|developer|jailbreak|guidelines|restrictions|filters|above|secret"
    r"|hidden|dan|persona|character|override|print|output|show|you|your)\b"
)


@dataclass(frozen=True)
class HiddenPayload:
    """Text that was disguised in the message, and how."""

    encoding: str  # "tag_characters", "base64", "hex", "binary"
    text: str


def clean(text: str) -> str:
    """The text with look-alike and invisible characters undone and whitespace collapsed,
    case kept: what an embedding model should see."""
    return _WHITESPACE.sub(" ", _visible(text)).strip()


def _visible(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_CONFUSABLES)
    # Format characters (zero-width space/joiner, BOM, bidi controls, tags) carry no words.
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def normalise(text: str, *, leet: bool = True) -> str:
    """`clean` text, lower-cased, with spaced-out letters and (with `leet`) leetspeak inside
    words undone: what the rules match."""
    text = _visible(text).lower()
    # Before whitespace is collapsed: in "i g n o r e   a l l" the wider gaps are the words'.
    text = _SPACED_OUT.sub(lambda m: re.sub(r"[ ._-]", "", m.group(0)), text)
    text = _WHITESPACE.sub(" ", text).strip()
    if leet:
        text = _LEET_WORD.sub(lambda m: m.group(0).translate(_LEET), text)
    return text


def hidden_payloads(text: str) -> list[HiddenPayload]:
    """Readable English hidden in the message by encoding; never a false alarm on numbers,
    since a payload has to decode to mostly letters and spaces."""
    found: list[HiddenPayload] = []
    tags = "".join(chr(ord(ch) - _TAG_BASE) for ch in text if 0xE0020 <= ord(ch) <= 0xE007E)
    if tags.strip():
        found.append(HiddenPayload("tag_characters", tags))
    for match in _BASE64_RUN.finditer(text):
        decoded = _decode_base64(match.group(0))
        if decoded is not None:
            found.append(HiddenPayload("base64", decoded))
    for match in _HEX_RUN.finditer(text):
        digits = re.sub(r"[ :]", "", match.group(0))
        try:
            decoded_hex = bytes.fromhex(digits).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            continue
        if _looks_like_words(decoded_hex):
            found.append(HiddenPayload("hex", decoded_hex))
    for match in _BINARY_RUN.finditer(text):
        bits = re.sub(r"\s", "", match.group(0))
        decoded_bits = "".join(chr(int(bits[i : i + 8], 2)) for i in range(0, len(bits), 8))
        if _looks_like_words(decoded_bits):
            found.append(HiddenPayload("binary", decoded_bits))
    return found


def views(text: str) -> list[str]:
    """Every distinct normalised reading of `text` to match rules against: the text with and
    without leetspeak undone ("base64" and "rot13" are words of their own), its ROT13 and
    reversed readings when they hold words of an attack (ordinary text turns into gibberish
    there), and any hidden payload."""
    plain = normalise(text, leet=False)
    readings = [plain]
    de_leeted = normalise(text)
    if de_leeted != plain:
        readings.append(de_leeted)
    for decoded in (codecs.decode(plain, "rot13"), plain[::-1]):
        if _ATTACK_WORDS.search(decoded):
            readings.append(decoded)
    readings += [normalise(payload.text) for payload in hidden_payloads(text)]
    return readings


def _decode_base64(run: str) -> str | None:
    # Long runs of letters alone are words stuck together, not base64.
    if not re.search(r"[0-9+/=]", run) and not (
        re.search(r"[a-z]", run) and re.search(r"[A-Z].*[A-Z].*[A-Z]", run)
    ):
        return None
    padded = run + "=" * (-len(run) % 4)
    try:
        decoded = base64.b64decode(padded, validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return decoded if _looks_like_words(decoded) else None


def _looks_like_words(text: str) -> bool:
    if len(text) < 8:
        return False
    letters = sum(ch.isalpha() or ch == " " for ch in text)
    return letters / len(text) >= 0.85 and " " in text.strip()
