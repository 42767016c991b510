"""Undo how people type before a question is embedded: text-speak and misspelt KB words.

MiniLM splits an unknown spelling into word pieces that mean little ("routr" is not "router"),
so one typo can turn a sure answer into "not sure". Only words that are neither English nor the
knowledge base's own are touched, and only towards the knowledge base's vocabulary: a typo of a
word the articles never use cannot help find one of them, and guessing it risks changing the
question. SymSpell (symspellpy) does the edit-distance lookup; its English frequency list, shipped
in the package, tells which words are already right.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import cache
from importlib import resources

from symspellpy import SymSpell, Verbosity

# Chat shorthand that is a word of its own (so no edit distance finds it); lower case.
TEXT_SPEAK = {
    "u": "you", "ur": "your", "urs": "yours", "ya": "you", "yr": "your", "r": "are", "y": "why",
    "cn": "can", "cud": "could", "wud": "would", "shud": "should", "wat": "what", "wot": "what",
    "wht": "what", "wen": "when", "hw": "how", "pls": "please", "plz": "please", "thx": "thanks",
    "ty": "thanks", "abt": "about", "bc": "because", "cos": "because", "coz": "because", "cuz": "because",
    "b4": "before", "gonna": "going to", "wanna": "want to", "gotta": "have to", "dunno": "don't know",
    "im": "I'm", "ive": "I've", "dont": "don't", "doesnt": "doesn't", "cant": "can't", "wont": "won't",
    "isnt": "isn't", "didnt": "didn't", "whats": "what's", "hows": "how's", "n": "and", "nd": "and",
    "w/": "with", "w/o": "without", "tho": "though", "thru": "through", "msg": "message", "info": "information",
    "2": "to", "4": "for", "mth": "month", "mnth": "month", "pm": "per month", "p/m": "per month",
    "wifi's": "wifi is", "bb": "broadband", "mbps": "Mbps", "mb": "Mbps", "gig": "Gbps",
}
# Counts below this in the English list are mostly misspellings that made it into the corpus.
MIN_ENGLISH_COUNT = 50_000
# Words and shorthand ("w/", "b4", "4"); numbers with letters after them ("12m", "500mb") are kept whole.
_WORD = re.compile(r"(?<![\w£.])(?:[A-Za-z][A-Za-z'/]*[A-Za-z0-9]*|\d+(?:[./]\d+)*[A-Za-z]*)")
_LETTERS = re.compile(r"[a-z]+")
# A greeting before the question and thanks after it say nothing about what is asked, but they move
# its embedding: "hello :) is there a minimum term?" ranked the speed-guarantee article first.
_GREETING = re.compile(
    r"^\W*(?:(?:hi|hello|hey|hiya|heya|howdy|yo|greetings|good\s+(?:morning|afternoon|evening))"
    r"(?:\s+(?:there|all|team|guys|folks|kestrel))?(?:\s*[!,.:;)(\-]+|\s+))+",
    re.IGNORECASE,
)
_THANKS = re.compile(
    r"(?:[\s,.!]+(?:thanks|thank\s+you|thx|ty|cheers|ta|many\s+thanks)"
    r"(?:\s+(?:a\s+lot|so\s+much|very\s+much|in\s+advance|mate))?)+[\s!.:)]*$",
    re.IGNORECASE,
)


def without_pleasantries(text: str) -> str:
    """The question without a greeting before it or thanks after it (unchanged if nothing else is left)."""
    stripped = _THANKS.sub("", _GREETING.sub("", text)).strip()
    return stripped if len(stripped.split()) >= 2 else text


# A word the English list knows is still a typo when a KB word one edit away is this much commoner
# ("prise" → "price")…
COMMONER = 20
# …and that KB word is one of the knowledge base's own subjects: at least this many times as frequent
# in the articles as in English. Mending towards everyday words wrecked what people really type
# ("hey there" → "they there", "tying myself in" → "thing myself in", "till" → "will", "bot" → "not").
KEY_WORD = 5.0


@cache
def english_words() -> dict[str, int]:
    """Common English words (lower case) and their counts, from the list symspellpy ships."""
    path = resources.files("symspellpy") / "frequency_dictionary_en_82_765.txt"
    words = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            word, count = line.split()
            if int(count) >= MIN_ENGLISH_COUNT:
                words[word] = int(count)
    return words


class Speller:
    """Corrects a question towards the vocabulary of the articles it is asked of."""

    def __init__(self, texts: Iterable[str]) -> None:
        counts = Counter(w for text in texts for w in _LETTERS.findall(text.lower()) if len(w) >= 3)
        self.vocabulary = frozenset(counts)
        self._symspell = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
        for word, count in counts.items():
            self._symspell.create_dictionary_entry(word, count)
        self._english = english_words()
        self._kb_counts, self._kb_total = counts, max(1, sum(counts.values()))
        self._english_total = sum(self._english.values())

    def keyness(self, word: str) -> float:
        """How many times commoner the word is in the articles than in English (unknown: very)."""
        english = self._english.get(word)
        if english is None:
            return float("inf")
        return (self._kb_counts[word] / self._kb_total) / (english / self._english_total)

    def correct(self, text: str) -> str:
        """The text with shorthand spelled out and misspelt KB words mended; else unchanged."""
        return _WORD.sub(lambda match: self._word(match.group()), text)

    def _word(self, token: str) -> str:
        lower = token.lower()
        if lower in TEXT_SPEAK:
            return TEXT_SPEAK[lower]
        if not lower.isalpha() or len(lower) < 3 or lower in self.vocabulary:
            return token
        known = self._english.get(lower)
        # One edit for short words (more would reach too many others), two for longer unknown ones.
        distance = 1 if len(lower) <= 4 or known else 2
        suggestions = self._symspell.lookup(lower, Verbosity.CLOSEST, max_edit_distance=distance)
        if not suggestions:
            return token
        best: str = suggestions[0].term
        if known and (self._english.get(best, 0) < COMMONER * known or self.keyness(best) < KEY_WORD):
            return token  # a real word that merely sits near a KB word, or near an everyday one
        return best
