import pytest

from routing.phrasing import asks_to_act, is_question, wants_information

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "question", "act"),
    [
        ("how much notice do I have to give to cancel", True, False),
        ("can I cancel in the first 14 days", True, False),
        ("Is there a fee if I cancel?", True, False),
        ("hi so what happens to my contract if i move", True, False),
        ("cancel my account", False, True),
        ("Please cancel my contract", False, True),
        ("can you cancel my broadband please?", True, True),
        ("I want to cancel", False, True),
        ("i wanna leave kestrel", False, True),
        ("we're leaving at the end of the month, close the account", False, True),
        ("I was charged twice", False, False),
        ("router fee", False, False),
        ("I want to know how to cancel", True, False),
    ],
)
def test_question_or_request(text, question, act):
    assert (is_question(text), asks_to_act(text)) == (question, act)
    assert wants_information(text) == (question and not act)
