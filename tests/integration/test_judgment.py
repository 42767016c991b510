"""The failures quoted in issue 13, through the whole bot (API → Rasa NLU → rules → actions → routing)."""

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def cited(reply: dict) -> list[str]:
    return [s["article_id"] for m in reply["messages"] for s in m["sources"]]


def offers_a_person(reply: dict) -> bool:
    return any(b["payload"] == "/request_human" for m in reply["messages"] for b in m["buttons"])


def test_typed_like_a_text_message_it_is_still_answered(new_customer):
    reply = new_customer().say("cn i use my own routr instead of urs")
    assert reply["status"] == "bot"
    assert cited(reply)[:1] == ["own-router-vs-kestrel-hub"]
    assert not offers_a_person(reply)  # a sure answer, not "not sure"


def test_a_question_whose_words_sound_like_a_complaint_is_answered_not_queued(new_customer):
    reply = new_customer().say("Is Kestrel Fibre the right provider for me?")
    assert reply["status"] == "bot"
    assert cited(reply)[:1] == ["is-kestrel-right-for-me"]


def test_a_real_complaint_still_reaches_a_person_at_once(new_customer):
    reply = new_customer().say("this is the third outage this week, absolutely useless service")
    assert reply["status"] == "queued"


def test_a_greeting_with_a_question_gets_the_answer(new_customer):
    customer = new_customer()
    hello = customer.say("hello")
    assert hello["status"] == "bot" and not cited(hello) and hello["messages"]
    reply = customer.say("hi! how much is installation?")
    assert cited(reply)[:1] == ["installation-fee"]


def test_asking_about_cancelling_is_answered_asking_to_cancel_is_queued(new_customer):
    question = new_customer().say("can I cancel in the first 14 days")
    assert question["status"] == "bot"
    assert cited(question)[:1] == ["cooling-off-and-refunds"]
    assert offers_a_person(question)  # the retention team is offered, not imposed
    request = new_customer().say("please cancel my account")
    assert request["status"] == "queued"


def suggested(reply: dict) -> list[tuple[str, str]]:
    """(title, payload) of the articles a reply offers to choose from."""
    return [(b["title"], b["payload"]) for m in reply["messages"] for b in m["buttons"]
            if b["payload"].startswith("/choose_article")]


@pytest.mark.parametrize(("question", "article"), [
    # Issue 13: answered from the payment-method article at 0.54; the price-rise article exists.
    ("why is my bill higher this month??", "annual-price-rise"),
    # Issue 13: "not sure" although the top hit was right.
    ("how much is the router fee if i leave", "router-return-fee"),
])
def test_an_unsure_question_offers_the_closest_articles_and_the_one_chosen_is_answered(new_customer, question,
                                                                                        article):
    customer = new_customer()
    reply = customer.say(question)
    assert reply["status"] == "bot" and not cited(reply)      # no guess asserted as the answer
    assert offers_a_person(reply)                              # the person is still offered beside them
    choices = dict((payload, title) for title, payload in suggested(reply))
    [payload] = [p for p in choices if f'"{article}"' in p]
    chosen = customer.say(payload)
    assert cited(chosen) == [article]
    assert chosen["messages"][0]["text"].endswith("Was this helpful?")
    transcript = customer.transcript()
    assert transcript["messages"][-2]["text"] == choices[payload]   # the click is kept as the words on it
