"""What a message's wording says about what the customer wants: to know something, or to have
something done. Routing needs the difference: "how much notice do I give to cancel?" is answered,
"cancel my account" goes to a person. English only, like the shipped NLU data.
"""

from __future__ import annotations

import re

_QUESTION = re.compile(
    r"\?|\b(?:how|what|what's|whats|why|when|where|which|who|whose|whom)\b"
    r"|^\W*(?:(?:hi|hello|hey|so|ok|okay|and|also|but|quick question)\W+)*"
    r"(?:can|could|do|does|did|is|are|was|were|will|would|should|shall|may|might|am|have|has|any|if)\b",
    re.IGNORECASE,
)
# Asking for something to be done now, whether or not it is worded as a question.
_REQUEST = re.compile(
    r"^\W*(?:please\s+|pls\s+|plz\s+)?(?:cancel|close|end|terminate|stop|refund|disconnect)\b"
    r"|\b(?:can|could|would|will)\s+(?:you|u|someone)\s+(?:please\s+|pls\s+)?"
    r"(?:cancel|close|end|terminate|stop|refund|disconnect)\b"
    r"|\b(?:i|we)\s*(?:'d|would|do|really)?\s*(?:want|wish|need|like|would\s+like|wanna)\s+(?:to\s+)?"
    r"(?:cancel|leave|close|end|terminate|quit|disconnect|be\s+refunded|a\s+refund)\b"
    r"|\b(?:i'm|im|i\s+am|we're|we\s+are)\s+(?:cancelling|canceling|leaving|closing|terminating)\b"
    r"|\bwant\s+out\b|\bplease\s+(?:cancel|close|terminate)\b",
    re.IGNORECASE,
)


def is_question(text: str) -> bool:
    """The message asks for information (a question mark, a question word, or a question's word order)."""
    return bool(_QUESTION.search(text))


def asks_to_act(text: str) -> bool:
    """The message asks for something to be done (cancel, close, refund), not for information."""
    return bool(_REQUEST.search(text))


def wants_information(text: str) -> bool:
    return is_question(text) and not asks_to_act(text)
