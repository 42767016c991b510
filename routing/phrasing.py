"""What a message's wording says about what the customer wants: to know something, or to have
something done. Routing needs the difference: "how much notice do I give to cancel?" is answered,
"cancel my account" goes to a person. English only, like the shipped NLU data.
"""

from __future__ import annotations

import re

_QUESTION = re.compile(
    r"\?|\b(?:how|what|what's|whats|why|when|where|which|who|whose|whom)\b"
    r"|^\W*(?:(?:hi|hello|hey|so|ok|okay|and|also|but|quick question)\W+)*"
    r"(?:can|could|do|does|did|is|are|was|were|will|would|should|shall|may|might|am|have|has|any|if)\b"
    # A question's word order after a lead-in, question mark or not: "…, will I have to pay",
    # "bought a pod last week, can i send it back".
    r"|\b(?:can|could|do|does|did|will|would|should)\s+(?:i|you|u|we|they)\s+\w"
    r"|\b(?:am\s+i|(?:is|are)\s+there|(?:does|is|will|would|can|could)\s+it)\s+\w",
    re.IGNORECASE,
)
# Asking for something to be done now, whether or not it is worded as a question.
_REQUEST = re.compile(
    r"^\W*(?:please\s+|pls\s+|plz\s+)?(?:cancel|close|end|terminate|stop|refund|disconnect)\b"
    r"|\b(?:can|could|would|will)\s+(?:you|u|someone)\s+(?:please\s+|pls\s+)?"
    r"(?:cancel|close|end|terminate|stop|refund|disconnect|quote)\b"
    r"|\b(?:i|we)\s*(?:'d|would|do|really)?\s*(?:want|wish|need|like|would\s+like|wanna)\s+(?:to\s+)?"
    r"(?:cancel|leave|close|end|terminate|quit|disconnect|be\s+refunded|a\s+refund)\b"
    r"|\b(?:i'm|im|i\s+am|we're|we\s+are)\s+(?:cancelling|canceling|leaving|closing|terminating)\b"
    r"|\bwant\s+out\b|\bplease\s+(?:cancel|close|terminate)\b",
    re.IGNORECASE,
)


# Asking for a person inside a longer message the NLU read as something else ("I'd like to speak to
# someone, how much would it cost me to leave early").
_PERSON = re.compile(
    r"\b(?:speak|talk|chat)\s+(?:to|with)\s+(?:someone|somebody|a\s+(?:real\s+|live\s+)?(?:person|human|agent)"
    r"|an?\s+(?:agent|adviser|advisor|operator)|a\s+member\s+of\s+staff|customer\s+service|your\s+team)\b",
    re.IGNORECASE,
)


# Any word for a person or for reaching one. The NLU's "request_human" on a message without one
# ("call aj", "please spell doctor") is a guess from a few dozen examples, not a customer's request.
_PERSON_WORD = re.compile(
    r"\b(?:person|people|human|humans|agent|agents|someone|somebody|anyone|anybody|staff|operator|"
    r"colleague|colleagues|representative|rep|adviser|advisor|manager|supervisor|team|support|"
    r"customer\s+(?:service|care)|bot|robot|chatbot|automated|real|live|actual)\b"
    r"|\b(?:speak|talk|chat)\s+(?:to|with)\b|\b(?:call|ring|phone)\s+(?:me|us|you|u|back)\b"
    r"|\b(?:number|line)\s+(?:i|we|to)\s+(?:can\s+)?(?:call|ring|phone)\b",
    re.IGNORECASE,
)


def mentions_person(text: str) -> bool:
    """The message names a person, or a way of reaching one, at all."""
    return bool(_PERSON_WORD.search(text))


def asks_for_person(text: str) -> bool:
    """The message asks to deal with a person, whatever else it asks."""
    return bool(_PERSON.search(text))


def is_question(text: str) -> bool:
    """The message asks for information (a question mark, a question word, or a question's word order)."""
    return bool(_QUESTION.search(text))


def asks_to_act(text: str) -> bool:
    """The message asks for something to be done (cancel, close, refund), not for information."""
    return bool(_REQUEST.search(text))


def wants_information(text: str) -> bool:
    return is_question(text) and not asks_to_act(text)
