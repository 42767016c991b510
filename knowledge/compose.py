"""What the customer reads: the article's answer section whole, plus its structured transparency.

An answer is the block of the article that answers (its opening, or the passage the question
matched) together with the list or table that block introduces: a lead-in such as "It pays
for:" is never sent without its list. What does not fit is left for "Read the whole article".
The article's structured fields travel beside the text (``details``) so the widget can show
a cost table, who a plan fits, or two options side by side; the text alone stays complete
for clients that only show text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from knowledge.chunking import plain

if TYPE_CHECKING:
    from knowledge.search import Doc

MAX_CHARS = 700  # about a phone screen of text; the rest is one tap away
_BLANK = re.compile(r"\n\s*\n")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z£0-9“\"(])")
_RULE_CELL = re.compile(r"^:?-{2,}:?$")
# Openings that already give a plain verdict.
_VERDICT = re.compile(r"^(yes|no|not|probably not|probably|nothing)\b", re.I)


@dataclass(frozen=True)
class Block:
    kind: str  # "paragraph" | "list" | "table" | "heading"
    raw: str

    @property
    def text(self) -> str:
        """Plain text: list items as bullets, table rows as "label: a · b"."""
        if self.kind == "list":
            return "\n".join("• " + plain(_LIST_ITEM.sub("", line)) for line in _lines(self.raw))
        if self.kind == "table":
            table = parse_table(self.raw)
            head = table["columns"][1:]
            rows = []
            for row in table["rows"]:
                cells = [f"{h}: {v}" if h else v for h, v in zip(head, row[1:], strict=False)]
                rows.append(f"• {row[0]}: " + "; ".join(cells) if row and row[0] else "• " + "; ".join(cells))
            return "\n".join(rows)
        return plain(self.raw)

    @property
    def leads_in(self) -> bool:
        """A paragraph ending in a colon announces the list or table after it."""
        return self.kind == "paragraph" and self.raw.rstrip().endswith(":")


@dataclass(frozen=True)
class Answer:
    text: str
    details: dict[str, Any] = field(default_factory=dict)
    shortened: bool = False  # more of the article than this is worth reading


def blocks(body: str) -> list[Block]:
    out = []
    for raw in _BLANK.split(body.strip()):
        lines = _lines(raw)
        if not lines:
            continue
        if lines[0].lstrip().startswith("#"):
            kind = "heading"
        elif all(line.lstrip().startswith("|") for line in lines):
            kind = "table"
        elif all(_LIST_ITEM.match(line) or line.startswith((" ", "\t")) for line in lines):
            kind = "list"
        else:
            kind = "paragraph"
        out.append(Block(kind, raw.strip()))
    return out


def parse_table(raw: str) -> dict[str, list[Any]]:
    """A markdown table as {"columns": [...], "rows": [[...], ...]} (the rule line dropped)."""
    rows = []
    for line in _lines(raw):
        cells = [plain(c) for c in line.strip().strip("|").split("|")]
        if all(_RULE_CELL.match(c.replace(" ", "")) or not c for c in cells) and any(cells):
            continue
        rows.append(cells)
    if not rows:
        return {"columns": [], "rows": []}
    width = len(rows[0])
    rows = [(r + [""] * width)[:width] for r in rows]
    return {"columns": rows[0], "rows": rows[1:]}


def compose(doc: Doc, matched: str | None = None, max_chars: int = MAX_CHARS) -> Answer:
    """The answer section of ``doc`` for a question that matched the text ``matched``."""
    parts = blocks(doc.body)
    if not parts:
        return Answer(doc.title, structured(doc, [], parts))
    start = _answering_block(parts, matched)
    section = [parts[start]]
    if parts[start].kind in ("list", "table") and start > 0 and parts[start - 1].leads_in:
        section.insert(0, parts[start - 1])
        start -= 1
    end = start + len(section)
    while section[-1].leads_in and end < len(parts) and parts[end].kind in ("list", "table"):
        section.append(parts[end])
        end += 1
    text, cut = _fit("\n\n".join(b.text for b in section), max_chars)
    shortened = cut or len(parts) > len(section)
    return Answer(text, structured(doc, section, parts), shortened)


def structured(doc: Doc, shown: list[Block], parts: list[Block] | None = None) -> dict[str, Any]:
    """The article's transparency fields for the widget (see ARCHITECTURE.md, messages); ``parts``
    is the body already split into blocks, when the caller has it."""
    details: dict[str, Any] = {}
    if doc.cost_breakdown:
        details["cost_breakdown"] = [
            {"item": c.get("item", ""), "amount": c.get("amount", ""), "note": c.get("note", "")}
            for c in doc.cost_breakdown
        ]
    if doc.good_for or doc.poor_for:
        details["good_for"], details["poor_for"] = list(doc.good_for), list(doc.poor_for)
    if doc.kind == "tradeoff":
        table = next((b for b in (blocks(doc.body) if parts is None else parts) if b.kind == "table"), None)
        if table is not None and table not in shown:  # a table already in the text is not shown twice
            comparison = parse_table(table.raw)
            if len(comparison["columns"]) >= 2 and comparison["rows"]:
                details["comparison"] = comparison
    return details


def is_yes_no_question(text: str) -> bool:
    first = re.sub(r"^(?:(?:hi|hello|hey|ok|okay|so|and|but|um|quick question)[,!.\s]+)+", "",
                   text.strip().lower())
    return bool(re.match(r"(is|are|am|can|could|do|does|did|will|would|should|shall|have|has|was|were|may|must)\b",
                         first))


def states_verdict(text: str) -> bool:
    return bool(_VERDICT.match(text.strip()))


def negative_statement(sentence: str) -> bool:
    """'No TV packages…', 'We don't…', 'There's no…': the article says something is not so."""
    s = sentence.strip().lower()
    return bool(re.match(r"(no|not|never|none)\b", s)) or bool(
        re.match(r"(we|you|it|kestrel|there)\b[^.]{0,30}\b(don't|do not|doesn't|does not|isn't|is no|'s no|aren't|"
                 r"can't|cannot|won't|never)\b", s))


_FUNCTION_WORDS = frozenset(
    "a an the and or but if of to in on at for with by from as is are am was were be been do does did "
    "can could will would should shall may might must have has had i me my you your we our us it its "
    "there this that these those what which who how any some get got need want sell offer provide "
    "about just also so not no".split()
)


def shares_a_topic(question: str, statement: str) -> bool:
    """Whether the statement talks about something the question names ("tv", "discounts")."""
    def topics(text: str) -> set[str]:
        return {w[:5] for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _FUNCTION_WORDS}
    return bool(topics(question) & topics(statement))


def statements(doc: Doc) -> list[str]:
    """Sentences and list items of the body, each a claim a yes/no question can be checked against."""
    out = []
    for block in blocks(doc.body):
        if block.kind == "list":
            out += [plain(_LIST_ITEM.sub("", line)) for line in _lines(block.raw)]
        elif block.kind == "paragraph":
            out += [s.strip() for s in _SENTENCE_END.split(plain(block.raw)) if s.strip()]
    return [s for s in out if len(s.split()) >= 3]


def with_verdict(answer: Answer, statement: str) -> Answer:
    """Lead with the plain "No" the article states, then the answer as composed."""
    sentence = statement if statement.endswith((".", "!", "?")) else statement + "."
    if re.match(r"(no|not|never|none)\b", sentence, re.I):  # "No — no TV packages…", not "No. No TV…"
        verdict = "No — " + sentence[0].lower() + sentence[1:]
    else:
        verdict = "No. " + sentence[0].upper() + sentence[1:]
    return Answer(f"{verdict}\n\n{answer.text}", answer.details, answer.shortened)


def _answering_block(parts: list[Block], matched: str | None) -> int:
    """The block holding the matched passage, or the first block that is not a heading."""
    first = next((i for i, b in enumerate(parts) if b.kind != "heading"), 0)
    if not matched:
        return first
    words = set(matched.lower().split())
    best, best_overlap = first, 0.0
    for i, block in enumerate(parts):
        if block.kind == "heading":
            continue
        own = plain(block.raw).lower().split()
        if not own:
            continue
        overlap = sum(w in words for w in own) / len(own)
        if overlap > best_overlap + 1e-9:
            best, best_overlap = i, overlap
    # A passage packs several paragraphs: the one it starts with is the answer's start.
    return best if best_overlap >= 0.8 else first


def _fit(text: str, max_chars: int) -> tuple[str, bool]:
    """Cut a long answer at a sentence (or list item) boundary, never mid-sentence."""
    if len(text) <= max_chars:
        return text, False
    # Pieces end at a sentence's end or before a line break (which they keep).
    pieces = [p for p in re.split(r"(?<=[.!?]) +|(?=\n)", text) if p]
    kept: list[str] = []
    for piece in pieces:
        if kept and len("".join(kept)) + len(piece) + 1 > max_chars:
            break
        kept.append(piece if piece.startswith("\n") or not kept else " " + piece)
    while len(kept) > 1 and kept[-1].rstrip().endswith(":"):  # never end on a lead-in
        kept.pop()
    return "".join(kept).strip(), True


def _lines(raw: str) -> list[str]:
    return [line for line in raw.splitlines() if line.strip()]
