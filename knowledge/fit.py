"""Honest plan fit from what a customer told us: household size, main use and budget.

Fit articles carry structured criteria next to their good-for/poor-for prose. The
recommendation is the cheapest plan that meets every criterion (transparency means no
upsell), and a plan the customer asked about is called "probably not the right plan" with
the concrete reason when it misses one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.search import Doc

USES = {
    "everyday": "browsing, email and streaming",
    "home_working": "working from home",
    "gaming": "gaming and big downloads",
    "uploads": "uploading large files",
    "business": "running a business",
}


@dataclass(frozen=True)
class Profile:
    household: int
    use: str
    budget: float | None = None  # most the customer wants to pay a month, None = not sure


@dataclass(frozen=True)
class Assessment:
    doc: Doc
    price: float
    misses: tuple[str, ...]

    @property
    def fits(self) -> bool:
        return not self.misses


def assess(profile: Profile, docs: list[Doc]) -> list[Assessment]:
    """Plans with criteria, those that fit first, cheapest first within each group."""
    out = []
    for doc in docs:
        c = doc.criteria
        if not c:
            continue
        misses = []
        if not c["household_min"] <= profile.household <= c["household_max"]:
            misses.append(f"it's meant for households of {c['household_min']}–{c['household_max']} people")
        if profile.use not in c["uses"]:
            misses.append(f"it isn't built for {USES.get(profile.use, profile.use)}")
        if profile.budget is not None and c["monthly_price"] > profile.budget:
            misses.append(f"it costs £{c['monthly_price']:.2f} a month, more than your £{profile.budget:.0f} budget")
        out.append(Assessment(doc, float(c["monthly_price"]), tuple(misses)))
    return sorted(out, key=lambda a: (len(a.misses), a.price))


VERDICTS = ("fits", "not_a_fit", "no_plan_fits")
# What to look for elsewhere when nothing we sell fits, by the criterion missed (no competitor named).
ELSEWHERE = {
    "household": "a plan sized for a household like yours",
    "use": "a plan built for {use}",
    "budget": "a cheaper plan or a social tariff (many providers have one for people on benefits)",
}


@dataclass(frozen=True)
class Recommendation:
    """What the fit form concludes, as the customer reads it and as the touchpoint records it."""

    text: str
    doc: Doc | None
    verdict: str  # VERDICTS: the plan fits; the plan asked about does not (another does); none does
    missed: tuple[str, ...] = ()  # criteria the asked (or closest) plan misses, in words
    price: float | None = None


def recommend(
    assessments: list[Assessment], asked: str | None = None, profile: Profile | None = None
) -> Recommendation:
    """The cheapest plan that fits, said plainly; when the one asked about or every plan misses,
    that is said too, with why and what to look for instead."""
    if not assessments:
        return Recommendation("I don't have fit guidance for our plans yet; a person can help you choose.",
                              None, "no_plan_fits")
    best = assessments[0]
    lines = []
    asked_one = next((a for a in assessments if asked and a.doc.product == asked), None)
    missed: tuple[str, ...] = ()
    if asked_one is not None and not asked_one.fits:
        missed = asked_one.misses
        lines.append(f"{_name(asked_one.doc)} is probably not the right plan for you, because "
                     f"{' and '.join(asked_one.misses)}.")
    if best.fits:
        lines.append(f"From what you told me, {_name(best.doc)} (£{best.price:.2f} a month) is the "
                     f"cheapest plan that fits everything you need.")
        verdict = "not_a_fit" if missed else "fits"
        return Recommendation(" ".join(lines), best.doc, verdict, missed, best.price)
    lines.append(f"Honestly, none of our plans fits everything you told me. The closest is {_name(best.doc)}, "
                 f"but {' and '.join(best.misses)}. You may be better served by {_elsewhere(best, profile)}, "
                 "and a person can talk it through with you if you'd like.")
    return Recommendation(" ".join(lines), best.doc, "no_plan_fits", missed or best.misses, best.price)


def recommend_text(assessments: list[Assessment], asked: str | None = None) -> tuple[str, Doc | None]:
    """What the bot says, and the article it rests on."""
    recommendation = recommend(assessments, asked)
    return recommendation.text, recommendation.doc


def _elsewhere(closest: Assessment, profile: Profile | None) -> str:
    wanted = []
    for miss in closest.misses:
        key = "household" if "households" in miss else "use" if "built for" in miss else "budget"
        use = USES.get(profile.use, profile.use) if profile else "what you need"
        wanted.append(ELSEWHERE[key].format(use=use))
    return " or ".join(dict.fromkeys(wanted)) or "a provider whose plans match what you need"


def _name(doc: Doc) -> str:
    title = doc.title
    for prefix in ("Is ", "Can I get "):
        title = title.removeprefix(prefix)
    for cut in (" the right", " right for", ","):
        title = title.split(cut)[0]
    return title


_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10}
_USE_WORDS = [
    ("business", ("business", "office", "shop", "company", "staff", "clinic")),
    ("uploads", ("upload", "video editing", "content creat", "backup")),
    ("gaming", ("gam", "download", "console", "xbox", "playstation", "steam")),
    ("home_working", ("work from home", "working from home", "home work", "wfh", "video call", "zoom", "remote")),
    ("everyday", ("brows", "stream", "netflix", "email", "everyday", "tv", "social", "basic")),
]


def parse_household(text: str) -> int | None:
    """'just me' → 1, '2-3 people' → 3, 'family of five' → 5, '6+' → 6."""
    low = text.lower()
    if any(w in low for w in ("just me", "alone", "myself", "only me", "single")):
        return 1
    if "couple" in low:
        return 2
    numbers = [int(n) for n in re.findall(r"\d+", low)]
    numbers += [v for w, v in _NUMBER_WORDS.items() if re.search(rf"\b{w}\b", low)]
    return max(numbers) if numbers and 0 < max(numbers) <= 500 else None


def parse_use(text: str) -> str | None:
    low = text.lower()
    for use, words in _USE_WORDS:
        if any(w in low for w in words):
            return use
    return None


def parse_budget(text: str) -> float | None | str:
    """Most per month: 'under £30' → 30.0, '£30–£45' → 45.0; 'not sure' → 'any'; else None."""
    low = text.lower()
    if any(w in low for w in ("not sure", "don't know", "dont know", "no budget", "any", "doesn't matter")):
        return "any"
    amounts = [float(a) for a in re.findall(r"\d+(?:\.\d+)?", low)]
    if not amounts:
        return None
    if any(w in low for w in ("over", "more than", "above")):
        return "any"  # a floor, not a limit: every price is acceptable
    return max(amounts)
