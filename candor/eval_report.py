"""What ``candor eval`` prints: the metrics of one or more runs side by side, as a table or JSON, and
with ``--explain`` one block per miss, in words a CX editor can act on (a missing article or a
wrong one)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from candor.evaluation import Outcome, Question, metrics, misses

MODES = {"search": "search + routing", "bot": "through the bot"}


@dataclass
class Run:
    mode: str                 # "search" (in-process) | "bot" (through the public API)
    perturb_seed: int | None  # None: the questions as written
    outcomes: list[Outcome]
    errors: list[tuple[Question, str]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return MODES[self.mode] + ("" if self.perturb_seed is None else f", typos (seed {self.perturb_seed})")

    def summary(self, kb: str, questions: str) -> dict[str, Any]:
        kinds = Counter(error.split(":")[0] for _, error in self.errors)
        return {"mode": self.mode, "perturb_seed": self.perturb_seed, "kb": kb, "questions": questions,
                **metrics(self.outcomes), "errors": len(self.errors), "error_kinds": dict(kinds)}


def as_json(runs: list[Run], kb: str, questions: str) -> dict[str, Any]:
    """The first run's figures at the top level (one run: exactly the documented object); every run
    under ``runs`` when there are several."""
    first = runs[0].summary(kb, questions)
    return first if len(runs) == 1 else {**first, "runs": [r.summary(kb, questions) for r in runs]}


def table(runs: list[Run], title: str) -> Table:
    summaries = [r.summary("", "") for r in runs]
    out = Table(title=title)
    out.add_column("metric", no_wrap=True)
    for run in runs:
        out.add_column(run.label, justify="right")
    for key in summaries[0]:
        if key in ("mode", "perturb_seed", "kb", "questions", "error_kinds"):
            continue
        out.add_row(key, *(_cell(key, s[key]) for s in summaries))
    return out


def _cell(key: str, value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.1f}" if key.endswith("_ms") else f"{value:.3f}"
    return str(value)


def explain(runs: list[Run], console: Console) -> None:
    """One block per miss of every run, then the errors (never dropped silently)."""
    for run in runs:
        missed = [(o, kinds) for o in run.outcomes if (kinds := misses(o))]
        console.rule(f"{run.label}: {len(missed)} misses of {len(run.outcomes)}")
        for outcome, kinds in missed:
            console.print(miss_block(outcome, kinds), highlight=False)
        for question, error in run.errors:
            console.print(f"[red]error[/red] “{escape(question.text)}”: {escape(error)}", highlight=False)


def miss_block(outcome: Outcome, kinds: list[str]) -> str:
    q, seen = outcome.question, outcome.explain
    if q.expected:
        expected = " or ".join(q.expected) + (", with a person" if q.escalate else "")
    else:
        expected = "no article: a person" if q.escalate else "no article"
    if outcome.answered_with and outcome.escalated:
        got = f"answered with {outcome.answered_with} and handed to a person"
    elif outcome.answered_with:
        got = f"answered with {outcome.answered_with}"
    elif outcome.suggested:
        chose = (f"; chose {outcome.after_choice}, answered right" if outcome.right_after_choice
                 else "; none fits: a person")
        got = f"offered a person and articles to choose from ({', '.join(outcome.suggested)}){chose}"
    elif outcome.escalated:
        got = "handed to a person (queued or offered instead of an answer)"
    else:
        got = "neither an article nor a person"
    lines = [f"[bold]{escape(' + '.join(kinds))}[/bold]: “{escape(q.text)}”",
             f"  expected  {escape(expected)}", f"  got       {escape(got)}"]
    saw = bot_saw(seen)
    if saw:
        lines.append(f"  bot saw   {escape(saw)}")
    hint = article_hint(outcome)
    if hint:
        lines.append(f"  so        {escape(hint)}")
    if seen.get("reply"):
        lines.append(f"  reply     “{escape(seen['reply'])}”")
    return "\n".join(lines)


def bot_saw(seen: dict[str, Any]) -> str:
    """What the bot saw, in words."""
    parts = []
    if seen.get("intent"):
        confidence = seen.get("intent_confidence")
        parts.append(f"intent {seen['intent']}" + (f" ({confidence:.2f})" if confidence is not None else ""))
    if seen.get("searched_as"):
        parts.append(f"searched as “{seen['searched_as']}”")
    if seen.get("confidence") is not None:
        sure_words: dict[Any, str] = {True: ", sure", False: ", not sure"}  # "sure" may be absent or null
        sure = sure_words.get(seen.get("sure"), "")
        parts.append(f"knowledge confidence {seen['confidence']:.2f}{sure}")
    if seen.get("action"):
        parts.append(f"decision {seen['action']}")
    reasons = list(dict.fromkeys([*seen.get("reasons", []), *seen.get("escalation_reasons", [])]))
    if reasons:
        parts.append("because " + ", ".join(r.replace("_", " ") for r in reasons))
    if seen.get("considered"):
        parts.append("top articles " + ", ".join(seen["considered"]))
    if seen.get("status"):
        parts.append(f"status {seen['status']}")
    if seen.get("timeline") is None and "status" in seen:
        parts.append("(from the reply alone: no staff token for the timeline)")
    return "; ".join(parts)


def article_hint(outcome: Outcome) -> str:
    """Missing article or wrong one: where the expected article stood in the ranking."""
    q = outcome.question
    if not q.expected or outcome.explain.get("considered") is None:
        return ""
    if outcome.rank == 1:
        return "the right article came first; the decision (confidence, routing) is what missed"
    if outcome.rank:
        return (f"the right article was #{outcome.rank}: its example questions may need this wording, "
                f"or {outcome.ranked[0]} overlaps it")
    return "the right article was not among the top considered: is it missing, or worded far from this?"
