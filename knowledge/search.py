"""Semantic search over articles that reports how sure it is, and says so when it is not."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from knowledge.calibration import TOP_SIMILARITY, Calibration
from knowledge.chunking import chunk
from knowledge.compose import (
    Answer,
    compose,
    is_yes_no_question,
    negative_statement,
    shares_a_topic,
    statements,
    states_verdict,
    with_verdict,
)
from knowledge.embedder import DIM, Embedder
from knowledge.index import AdaptiveIndex, VectorIndex
from knowledge.lexical import LexicalIndex
from knowledge.scoring import ArticleHead, score
from knowledge.spelling import Speller, without_pleasantries

# Above this many articles the linear head costs more to retrain than it gains; ranking
# then uses neighbour votes alone (see `candor bench search`).
HEAD_MAX_ARTICLES = 2000


@dataclass(frozen=True)
class Doc:
    """What search needs of an article; built from the ORM model or a knowledge file line."""

    article_id: str
    title: str
    kind: str
    body: str
    questions: tuple[str, ...] = ()
    url: str | None = None
    product: str | None = None
    good_for: tuple[str, ...] = ()
    poor_for: tuple[str, ...] = ()
    criteria: dict[str, Any] | None = None  # fit articles: household_min/max, uses, monthly_price
    tags: tuple[str, ...] = ()
    cost_breakdown: tuple[dict[str, Any], ...] = ()  # cost articles: {"item", "amount", "note"}


@dataclass(frozen=True)
class Hit:
    article_id: str
    title: str
    kind: str
    url: str | None
    score: float
    passage: str  # the answer as the customer reads it (knowledge.compose)
    matched: str  # the unit of text that matched best: a question, the title or a passage
    tags: tuple[str, ...] = ()  # routing sends some topics (by tag) to a person
    details: dict[str, Any] = field(default_factory=dict, compare=False)  # structured transparency
    shortened: bool = False  # the article says more than the answer: link "Read the whole article"


@dataclass
class SearchResult:
    query: str
    hits: list[Hit]
    confidence: float
    decision: str  # "answer" | "unsure"
    features: list[float] = field(default_factory=list)
    # The query as embedded: greetings and thanks dropped, shorthand spelled out and misspelt KB
    # words mended (knowledge.spelling).
    normalized: str = ""
    # The query as embedded, so a caller comparing it with other text need not encode it again.
    vector: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.hits else None

    @property
    def top_similarity(self) -> float:
        """Cosine similarity of the query to the closest unit of any article (0 when none)."""
        return self.features[TOP_SIMILARITY] if self.features else 0.0

    @property
    def sure(self) -> bool:
        """Confident enough to answer from the best hit."""
        return self.decision == "answer" and bool(self.hits)


@dataclass
class _Unit:
    article_id: str
    field: str
    text: str
    vector: np.ndarray | None = None  # set once the unit is embedded, before it is indexed

    def embedded(self) -> np.ndarray:
        if self.vector is None:
            raise RuntimeError(f"A unit of {self.article_id} was indexed without its vector.")
        return self.vector


@dataclass
class _Entry:
    doc: Doc
    unit_ids: list[int] = field(default_factory=list)
    # Answers composed from this version of the article, by the later passage asked about (None: its
    # opening). Each search composes five hits, mostly the same few: composing was 7 % of the action
    # server's CPU under the load bench. A changed article gets a new entry, so nothing goes stale.
    composed: dict[str | None, Answer] = field(default_factory=dict)


class KnowledgeSearch:
    """Keeps an index of article units (questions, title, passages) and ranks articles."""

    def __init__(
        self,
        embedder: Embedder,
        calibration: Calibration | None = None,
        index: VectorIndex | None = None,
        candidates: int = 64,
    ) -> None:
        self.embedder = embedder
        self.calibration = calibration or Calibration()
        self.index = index or AdaptiveIndex(DIM)
        self.candidates = candidates
        self._entries: dict[str, _Entry] = {}
        self._units: dict[int, _Unit] = {}
        self._next_id = 0
        self._lock = threading.RLock()
        self._head: ArticleHead | None = None
        self._positions: dict[str, int] = {}
        self._order: list[str] = []
        self._stale = True
        self._speller: Speller | None = None
        self._lexical: LexicalIndex | None = None

    def __len__(self) -> int:
        return len(self._entries)

    def docs(self, kind: str | None = None) -> list[Doc]:
        with self._lock:
            return [e.doc for e in self._entries.values() if kind is None or e.doc.kind == kind]

    def doc(self, article_id: str) -> Doc | None:
        with self._lock:
            entry = self._entries.get(article_id)
            return entry.doc if entry is not None else None

    def __contains__(self, article_id: str) -> bool:
        return article_id in self._entries

    def upsert(self, docs: Iterable[Doc]) -> None:
        """Add or replace articles; their units are re-embedded (cache hits are free)."""
        docs = list(docs)
        units: list[_Unit] = []
        for doc in docs:
            units.extend(_units_of(doc))
        vectors = self.embedder.encode([u.text for u in units])
        with self._lock:
            self.remove(d.article_id for d in docs)
            ids = np.arange(self._next_id, self._next_id + len(units), dtype=np.int64)
            self._next_id += len(units)
            for doc in docs:
                self._entries[doc.article_id] = _Entry(doc)
            for unit_id, unit, vector in zip(ids.tolist(), units, vectors, strict=True):
                unit.vector = vector
                self._units[unit_id] = unit
                self._entries[unit.article_id].unit_ids.append(unit_id)
            self.index.add(ids, vectors)
            self._stale = True

    def remove(self, article_ids: Iterable[str]) -> None:
        with self._lock:
            for article_id in list(article_ids):
                entry = self._entries.pop(article_id, None)
                if entry is None:
                    continue
                self.index.remove(np.array(entry.unit_ids, dtype=np.int64))
                for unit_id in entry.unit_ids:
                    self._units.pop(unit_id, None)
                self._stale = True

    def prepare(self) -> None:
        """Retrain the head after changes (done lazily by the first search that needs it)."""
        with self._lock:
            if not self._stale:
                return
            self._order = list(self._entries)
            self._positions = {article_id: i for i, article_id in enumerate(self._order)}
            self._head = None
            self._speller = Speller(_vocabulary_texts(e.doc for e in self._entries.values()))
            self._lexical = LexicalIndex([_lexical_text(self._entries[a].doc) for a in self._order])
            if 1 < len(self._order) <= HEAD_MAX_ARTICLES:
                units = list(self._units.values())
                vectors = np.stack([u.embedded() for u in units]).astype(np.float32)
                labels = np.array([self._positions[u.article_id] for u in units])
                self._head = ArticleHead(vectors, labels, len(self._order))
            self._stale = False

    def similarity(self, text: str, vector: np.ndarray) -> float:
        """Cosine similarity of a text to an embedded query (both unit length). Like queries,
        the text bypasses the embedding cache: customer messages are not kept on disk."""
        return float(self.embedder.encode_query(text) @ vector)

    def normalize(self, query: str) -> str:
        """The query as it will be embedded (see knowledge.spelling)."""
        with self._lock:
            self.prepare()
            speller = self._speller
        query = without_pleasantries(query)
        return speller.correct(query) if speller is not None else query

    def search(self, query: str, k: int = 5) -> SearchResult:
        normalized = self.normalize(query)
        vector = self.embedder.encode_query(normalized)
        return self.search_vector(query, vector, k, normalized)

    def search_vector(self, query: str, vector: np.ndarray, k: int = 5, normalized: str | None = None) -> SearchResult:
        normalized = query if normalized is None else normalized
        with self._lock:
            self.prepare()
            if not self._order:
                return SearchResult(query, [], 0.0, "unsure", normalized=normalized, vector=vector)
            scores, ids = self.index.search(vector[None, :], self.candidates)
            unit_articles = np.array(
                [self._positions[self._units[i].article_id] if i in self._units else -1 for i in ids[0].tolist()]
            )
            n = len(self._order)
            if self._head is not None:
                head_probs = self._head.probabilities(vector[None, :])[0]
            else:
                head_probs = np.full(n, 1.0 / n)
            lexical = self._lexical.scores(normalized) if self._lexical is not None else None
            scored = score(head_probs, scores[0], unit_articles, n, lexical)
            hits = []
            for position in scored.order[:k].tolist():
                article_id = self._order[position]
                hits.append(self._hit(article_id, float(scored.fused[position]), vector))
            if hits and is_yes_no_question(normalized):
                hits[0] = self._with_verdict(hits[0], normalized, vector)
        confidence = self.calibration.confidence(scored.features)
        decision = "answer" if self.calibration.answers(scored.features, confidence) else "unsure"
        return SearchResult(query, hits, confidence, decision, features=scored.features.tolist(),
                            normalized=normalized, vector=vector)

    def article_hit(self, article_id: str, question: str) -> Hit | None:
        """One article as the answer to ``question``, composed as search would (the passage the
        question matched, a yes/no verdict): the customer chose it from the bot's suggestions.
        None when it is no longer published."""
        normalized = self.normalize(question) if question.strip() else ""
        with self._lock:
            entry = self._entries.get(article_id)
            if entry is None:
                return None
            title = entry.doc.title
        vector = self.embedder.encode_query(normalized or title)
        with self._lock:
            if article_id not in self._entries:
                return None
            hit = self._hit(article_id, 0.0, vector)
            if normalized and is_yes_no_question(normalized):
                hit = self._with_verdict(hit, normalized, vector)
        return hit

    def _hit(self, article_id: str, fused: float, vector: np.ndarray) -> Hit:
        """The article with what matched: its opening answer, or the passage asked about."""
        entry = self._entries[article_id]
        units = [self._units[i] for i in entry.unit_ids]
        matched = units[int((np.stack([u.embedded() for u in units]) @ vector).argmax())]
        passages = [u for u in units if u.field == "passage"]
        later_passage = matched.field == "passage" and passages and matched is not passages[0]
        asked = matched.text if later_passage else None
        answer = entry.composed.get(asked)
        if answer is None:
            answer = entry.composed[asked] = compose(entry.doc, asked)
        doc = entry.doc
        return Hit(article_id, doc.title, doc.kind, doc.url, fused, answer.text, matched.text, doc.tags,
                   answer.details, answer.shortened)

    def _with_verdict(self, hit: Hit, question: str, vector: np.ndarray) -> Hit:
        """A yes/no question gets the plain "No" first when the article states it (e.g. "do you
        sell mobiles?" against "no TV packages, sports channels or mobile SIMs")."""
        if states_verdict(hit.passage):
            return hit
        claims = statements(self._entries[hit.article_id].doc)
        if not claims:
            return hit
        # Only when the claim closest to the question is itself a "no" about what it names: the
        # article's own answer ("installation is free on a 12-month contract") outranks an
        # exception further down ("Lifeline customers pay no installation fee").
        best = int((self.embedder.encode(claims) @ vector).argmax())
        if not (negative_statement(claims[best]) and shares_a_topic(question, claims[best])):
            return hit
        answer = with_verdict(Answer(hit.passage, hit.details, hit.shortened), claims[best])
        return replace(hit, passage=answer.text)


def _units_of(doc: Doc) -> list[_Unit]:
    units = [_Unit(doc.article_id, "title", doc.title)]
    units += [_Unit(doc.article_id, "question", q) for q in dict.fromkeys(doc.questions)]
    units += [_Unit(doc.article_id, "passage", p) for p in chunk(doc.body)]
    return units


def _lexical_text(doc: Doc) -> str:
    return " ".join((doc.title, *doc.questions))


def _vocabulary_texts(docs: Iterable[Doc]) -> list[str]:
    return [" ".join((d.title, d.body, *d.questions, *d.good_for, *d.poor_for)) for d in docs]


def doc_from_fields(data: dict[str, Any]) -> Doc:
    return Doc(
        article_id=data["id"],
        title=data["title"],
        kind=data["kind"],
        body=data.get("body") or "",
        questions=tuple(data.get("questions") or ()),
        url=data.get("url"),
        product=data.get("product"),
        good_for=tuple((data.get("fit") or {}).get("good_for") or ()),
        poor_for=tuple((data.get("fit") or {}).get("poor_for") or ()),
        criteria=(data.get("fit") or {}).get("criteria"),
        tags=tuple(data.get("tags") or ()),
        cost_breakdown=tuple(data.get("cost_breakdown") or ()),
    )

