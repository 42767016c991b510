import pytest

from actions.feedback import parse_rating

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("slot", "text", "expected"),
    [("4", "4 stars", 4), (None, "I'd give it 5 out of 5", 5), ("9", "9 stars", None),
     (None, "great chat", None), ("2.0", "", 2)],
)
def test_parse_rating(slot, text, expected):
    assert parse_rating(slot, text) == expected
