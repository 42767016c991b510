"""Seeded typos and casing, so ``candor eval --perturb`` shows how the bot copes with how customers type.

Real chat messages are misspelt and oddly cased; a knowledge base that only answers clean
questions looks better in evaluation than it is. The edits are the four classic typing slips
(Damerau's: transposition, deletion, insertion, substitution), the substitution drawn from the
QWERTY neighbours of the key. Numbers and money are never touched: "£45" misread as "£54" would
be a different question, not a typo.
"""

from __future__ import annotations

import dataclasses
import random
import re
from collections.abc import Iterable
from typing import Any, ClassVar, Protocol, TypeVar

_ROWS = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]


def _neighbours() -> dict[str, str]:
    """Letters next to each key on a QWERTY keyboard (same row and the rows above and below)."""
    where = {key: (r, c) for r, row in enumerate(_ROWS) for c, key in enumerate(row)}
    out = {}
    for key, (r, c) in where.items():
        out[key] = "".join(
            other for other, (r2, c2) in where.items()
            if other != key and abs(r - r2) <= 1 and abs((c + 0.5 * r) - (c2 + 0.5 * r2)) <= 1
        )
    return out


NEIGHBOURS = _neighbours()
# A token holding a digit or a currency sign is left alone entirely ("£45", "500mb", "24/7").
_PROTECTED = re.compile(r"[\d£$€%]")
_LETTERS = re.compile(r"[^\W\d_]{3,}")
CASINGS = (("unchanged", 0.7), ("lower", 0.2), ("upper", 0.1))


def perturb(text: str, rng: random.Random, rate: float = 0.25) -> str:
    """``text`` with about ``rate`` of its words (3+ letters) misspelt once, then maybe re-cased."""
    out = []
    for token in re.split(r"(\s+)", text):
        if token and not token.isspace() and not _PROTECTED.search(token):
            token = _LETTERS.sub(lambda m: typo(m.group(), rng) if rng.random() < rate else m.group(), token)
        out.append(token)
    casing = rng.choices([c for c, _ in CASINGS], weights=[w for _, w in CASINGS])[0]
    joined = "".join(out)
    return joined.lower() if casing == "lower" else joined.upper() if casing == "upper" else joined


def typo(word: str, rng: random.Random) -> str:
    """One slip in ``word``: it always comes out different."""
    kinds = ["swap", "drop", "double", "neighbour"]
    if len(set(word.lower())) == 1:
        kinds.remove("swap")  # "zzz" swapped is still "zzz"
    kind = rng.choice(kinds)
    if kind == "swap":
        pairs = [i for i in range(len(word) - 1) if word[i].lower() != word[i + 1].lower()]
        i = rng.choice(pairs)
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    i = rng.randrange(len(word))
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    options = NEIGHBOURS.get(word[i].lower())
    if not options:  # a letter off the QWERTY grid (é, ß…): double it instead
        return word[:i] + word[i] + word[i:]
    key = rng.choice(options)
    return word[:i] + (key.upper() if word[i].isupper() else key) + word[i + 1:]


class _HasText(Protocol):
    """A dataclass (frozen or not) with a ``text`` field."""

    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]

    @property
    def text(self) -> str: ...


Q = TypeVar("Q", bound=_HasText)


def perturb_questions(questions: Iterable[Q], seed: int, rate: float = 0.25) -> list[Q]:
    """Copies of the questions (dataclasses) with perturbed text, labels kept; the same seed gives
    the same copies."""
    rng = random.Random(seed)
    return [dataclasses.replace(q, text=perturb(q.text, rng, rate)) for q in questions]
