"""Masking e-mail addresses, phone numbers and card numbers before customer text is stored anywhere."""

from __future__ import annotations

import re
from collections.abc import Iterable

KINDS = ("email", "card", "phone")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_CARDLIKE = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_PHONE = re.compile(r"(?<![\w+])\+?\(?\d[\d ().-]{7,}\d(?!\w)")


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    return "[card number]" if 13 <= len(digits) <= 19 and _luhn(digits) else match.group()


def _phone(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    return "[phone number]" if 10 <= len(digits) <= 15 else match.group()


def redact(text: str, kinds: Iterable[str] = KINDS) -> str:
    """Cards first (a card number also looks like a long phone number)."""
    kinds = set(kinds)
    if "email" in kinds:
        text = _EMAIL.sub("[email]", text)
    if "card" in kinds:
        text = _CARDLIKE.sub(_card, text)
    if "phone" in kinds:
        text = _PHONE.sub(_phone, text)
    return text
