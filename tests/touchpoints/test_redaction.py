import pytest

from touchpoints.redaction import redact

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("text", "expected"), [
    ("mail me at jo.bloggs+kf@example.co.uk please", "mail me at [email] please"),
    ("card 4111 1111 1111 1111 exp 12/28", "card [card number] exp 12/28"),
    ("card 4111-1111-1111-1112 is not Luhn-valid", "card 4111-1111-1111-1112 is not Luhn-valid"),
    ("call 07700 900123 or +44 20 7946 0958", "call [phone number] or [phone number]"),
    ("Plus 500 is £36 a month for 12 months, 500 Mb/s", "Plus 500 is £36 a month for 12 months, 500 Mb/s"),
    ("order 2026-11-23 ref 12345", "order 2026-11-23 ref 12345"),
])
def test_personal_data_is_masked_and_ordinary_numbers_are_kept(text, expected):
    assert redact(text) == expected


def test_kinds_are_configurable():
    assert redact("jo@example.com 07700 900123", kinds=["phone"]) == "jo@example.com [phone number]"
    assert redact("jo@example.com", kinds=[]) == "jo@example.com"
