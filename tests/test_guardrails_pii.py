"""PII redaction: typed placeholders for what customers paste, and nothing else touched."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from guardrails.pii import (
    RedactingFilter,
    iban_valid,
    luhn_valid,
    personal_data_kinds,
    redact,
)

HELPCENTRE = Path(__file__).resolve().parents[1] / "helpcentre"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("My card is 4111 1111 1111 1111, expiry 12/27", "My card is [CARD_NUMBER], expiry 12/27"),
        ("card 5555555555554444 was declined", "card [CARD_NUMBER] was declined"),
        # Grouped like a card but failing Luhn: a mistyped card number is still one.
        ("is 4111-1111-1111-1112 right?", "is [CARD_NUMBER] right?"),
        ("IBAN GB82 WEST 1234 5698 7654 32 please", "IBAN [IBAN] please"),
        ("send it to DE89370400440532013000", "send it to [IBAN]"),
        (
            "sort code 20-00-00 account 31926819",
            "sort code [SORT_CODE] account [ACCOUNT_NUMBER]",
        ),
        ("sort code 200000, acc 31926819", "sort code [SORT_CODE], acc [ACCOUNT_NUMBER]"),
        ("pay 40-47-84 12345678 today", "pay [SORT_CODE] [ACCOUNT_NUMBER] today"),
        ("my account number is 12345678", "my account number is [ACCOUNT_NUMBER]"),
        ("write to jane.doe+bank@example.co.uk", "write to [EMAIL]"),
        ("call 07700 900123 or (020) 7946 0123", "call [PHONE] or [PHONE]"),
        ("my number is +44 (0)20 7946 0123", "my number is [PHONE]"),
        ("US cell +1 415 555 2671", "US cell [PHONE]"),
        ("transaction ID 123456789012", "transaction ID [NUMBER]"),
    ],
)
def test_personal_data_becomes_typed_placeholders(text: str, expected: str) -> None:
    assert redact(text).text == expected


@pytest.mark.parametrize(
    "text",
    [
        "I paid £1,250.00 on 2024-01-15 and it takes 10 working days",
        "The limit is 10000 a year, 3 withdrawals a month",
        "dated 15/01/2024 at 14:30",
        "I paid on 12-05-24",  # a date, not a sort code, without "sort code" beside it
        "reference HB-2024-118",
        "the code on the back is 123",
        "I was born in 1985",
        "send 123456 pounds",  # six bare digits are a sort code only when named
    ],
)
def test_amounts_dates_and_short_numbers_are_left_alone(text: str) -> None:
    result = redact(text)
    assert result.text == text
    assert result.kinds == ()


def test_a_bare_eight_digit_number_is_masked_as_a_number() -> None:
    assert redact("my ref 12345678").text == "my ref [NUMBER]"
    assert redact("account 12345678").kinds == ("account_number",)


def test_a_reference_number_is_not_taken_for_a_phone() -> None:
    assert redact("order no. 01234567890").kinds == ("long_number",)
    assert redact("phone number: 07700900123").kinds == ("phone",)


def test_kinds_are_reported_once_each_in_a_fixed_order() -> None:
    result = redact("a@b.com, c@d.org and 4111 1111 1111 1111")
    assert result.kinds == ("email", "card_number")
    assert result.redacted
    assert personal_data_kinds("nothing to see") == []


def test_allowed_values_are_kept() -> None:
    text = "Call +44 20 7946 0123 or my mobile 07700 900123"
    result = redact(text, allow=["+442079460123"])
    assert result.text == "Call +44 20 7946 0123 or my mobile [PHONE]"


def test_checksums() -> None:
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")
    assert iban_valid("GB82 WEST 1234 5698 7654 32")
    assert not iban_valid("GB83 WEST 1234 5698 7654 32")


def test_help_articles_only_lose_the_banks_phone_number() -> None:
    found: set[str] = set()
    for path in sorted(HELPCENTRE.glob("*.md")):
        found.update(redact(path.read_text(encoding="utf-8")).kinds)
    assert found == {"phone"}  # +44 20 7946 0123, the bank's published number
    for path in sorted(HELPCENTRE.glob("*.md")):
        assert not redact(path.read_text(encoding="utf-8"), allow=["+44 20 7946 0123"]).kinds


def _captured(record: logging.LogRecord) -> str:
    handler = logging.Handler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(RedactingFilter())
    assert handler.filter(record)
    return handler.format(record)


def test_the_log_filter_redacts_arguments_and_message() -> None:
    args = ("a@b.com", "4111111111111111")
    record = logging.LogRecord(
        "desk", logging.INFO, __file__, 1, "customer %s paid with %s", args, None
    )
    assert _captured(record) == "customer [EMAIL] paid with [CARD_NUMBER]"
    assert record.args is None


def test_the_log_filter_redacts_tracebacks() -> None:
    try:
        raise ValueError("bad card 4111 1111 1111 1111")
    except ValueError:
        import sys

        record = logging.LogRecord("desk", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    text = _captured(record)
    assert "[CARD_NUMBER]" in text
    assert "4111" not in text


def test_the_log_filter_survives_a_malformed_call() -> None:
    record = logging.LogRecord("desk", logging.INFO, __file__, 1, "%s %s", ("x@y.com",), None)
    assert "[EMAIL]" in _captured(record)


def test_the_filter_on_a_logger(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("tests.guardrails.pii")
    redacting = RedactingFilter()
    logger.addFilter(redacting)
    try:
        with caplog.at_level(logging.INFO, logger=logger.name):
            logger.info("IBAN %s", "GB82WEST12345698765432")
    finally:
        logger.removeFilter(redacting)
    assert caplog.messages == ["IBAN [IBAN]"]
