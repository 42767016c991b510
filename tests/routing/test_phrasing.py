import pytest

from routing.phrasing import asks_for_person, asks_to_act, is_question, wants_information

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
        # A question's word order after a lead-in, without a question mark.
        ("bought a mesh pod last week dont need it now, can i send it back for a refund", True, False),
        ("I switched from talktalk, if I back out within 14 days do I get talktalk back", True, False),
        ("the router, does it need a phone line", True, False),
        ("I can do it tomorrow", False, False),
        ("Can you quote for multiple sites?", True, True),
    ],
)
def test_question_or_request(text, question, act):
    assert (is_question(text), asks_to_act(text)) == (question, act)
    assert wants_information(text) == (question and not act)


@pytest.mark.parametrize(
    ("text", "person"),
    [
        ("I'd like to speak to someone, how much would it cost me to leave early", True),
        ("can I talk to a real person", True),
        ("let me chat with an agent about my bill", True),
        ("I spoke to someone yesterday and they said it was free", False),
        ("is this a real person?", False),  # asking what the bot is, not for a person
    ],
)
def test_asking_for_a_person_inside_another_message(text, person):
    assert asks_for_person(text) is person
