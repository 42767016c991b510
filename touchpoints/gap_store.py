"""Content gaps kept in the database. A periodic job (``run_pass``) reads the question events
logged since its last pass, embeds each unanswered question once, puts it in the nearest open gap
(touchpoints.gaps.Groups) or a new one, re-clusters the newest questions now and then so the
order they came in does not decide the groups for good, and closes a gap once an article
published after it answers its representative question. The dashboard's read is a query."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import false, func, select, update
from sqlalchemy.orm import Session

from candor.db import utcnow
from knowledge.models import Article
from knowledge.search import SearchResult
from knowledge.store import ArticleStore
from touchpoints.gap_models import ContentGap, GapProgress, GapQuestion
from touchpoints.gap_reads import read_gaps as read_gaps  # the dashboard's read, where callers look for it
from touchpoints.gaps import DIM, Groups, labels, nearest_the_centre, pack, unpack
from touchpoints.models import Conversation, Event
from touchpoints.unanswered import KINDS, unanswered

Scope = Callable[[], AbstractContextManager[Session]]
Encode = Callable[[list[str]], np.ndarray]
Search = Callable[[str], SearchResult]

EVENTS = 2000           # question events read per pass
# Event ids are taken from a sequence before commit, so one may become visible after a higher one
# was read; the conversations of the last MARGIN ids are read again (reading is idempotent).
MARGIN = 200
BATCH = 128             # questions embedded per pass: about a second of MiniLM on two busy cores
WINDOW = 2000           # the newest questions re-clustered together (quadratic memory: bounded)
RECLUSTER_AFTER = 500   # new questions between two re-clusterings
POOL = 200              # a large gap's representative is sought among its newest questions
CLOSE_CHECKS = 50       # open gaps searched per pass after the knowledge base changed


@dataclass
class PassReport:
    events: int = 0
    added: int = 0
    removed: int = 0
    embedded: int = 0
    new_gaps: int = 0
    reclustered: int = 0
    searched: int = 0
    closed: int = 0
    revision: int = 0   # the knowledge revision the open gaps were searched at

    @property
    def busy(self) -> bool:
        """Whether another pass straight away has work left (a full batch was taken)."""
        return self.events >= EVENTS or self.embedded >= BATCH or self.searched >= CLOSE_CHECKS


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _progress(session: Session) -> GapProgress:
    """The job's one row, locked: one pass at a time even across processes (SQLite: the write
    transaction starts here; PostgreSQL: the row lock)."""
    session.execute(update(GapProgress).where(false()).values(event_id=GapProgress.event_id))
    row = session.get(GapProgress, 1, with_for_update=True)
    if row is None:
        row = GapProgress(id=1, event_id=0, since_recluster=0)
        session.add(row)
        session.flush()
    return row


def _subtract(session: Session, rows: Iterable[GapQuestion]) -> None:
    """Take questions out of their gaps' sums (they are deleted or move)."""
    for row in rows:
        gap = session.get(ContentGap, row.gap_id) if row.gap_id else None
        if gap is not None and row.vector is not None:
            gap.vector_sum = pack(unpack(gap.vector_sum) - unpack(row.vector))
            gap.members -= 1


def read_events(session: Session) -> tuple[int, int, int]:
    """Bring the stored questions of conversations with new question events up to date:
    (events read, questions added, questions no longer unanswered removed)."""
    progress = _progress(session)
    start = max(progress.event_id - MARGIN, 0)
    ids = list(session.scalars(select(Event.id).where(Event.id > start, Event.kind.in_(KINDS))
                               .order_by(Event.id).limit(EVENTS)))
    if not ids or ids[-1] <= progress.event_id:
        return 0, 0, 0
    upto = ids[-1]
    touched = select(Event.conversation_id).where(Event.id > start, Event.id <= upto, Event.kind.in_(KINDS))
    events: dict[str, list[tuple[int, str, dict[str, Any] | None, datetime]]] = defaultdict(list)
    for cid, *event in session.execute(
            select(Event.conversation_id, Event.id, Event.kind, Event.data, Event.created_at)
            .where(Event.conversation_id.in_(touched), Event.kind.in_(KINDS)).order_by(Event.id)).tuples():
        events[cid].append((event[0], event[1], event[2], event[3]))
    alive = set(session.scalars(select(Conversation.id).where(Conversation.id.in_(touched))))
    stored = list(session.scalars(select(GapQuestion).where(GapQuestion.conversation_id.in_(touched))))
    wanted = {asked.event_id: (cid, asked) for cid in alive for asked in unanswered(events[cid])}
    gone = [row for row in stored if row.event_id not in wanted]
    _subtract(session, gone)
    for row in gone:
        session.delete(row)
    session.flush()
    _after_removal(session, {row.gap_id for row in gone if row.gap_id}, {row.id for row in gone})
    have = {row.event_id for row in stored}
    added = [GapQuestion(conversation_id=cid, event_id=asked.event_id, text=asked.text, text_hash=digest(asked.text),
                         created_at=asked.at) for event_id, (cid, asked) in sorted(wanted.items())
             if event_id not in have]
    session.add_all(added)
    progress.event_id = upto
    session.flush()
    return len(ids), len(added), len(gone)


def _after_removal(session: Session, gap_ids: set[int], removed: set[int]) -> None:
    """Gaps that lost questions: dropped when empty, else a new representative if it was one of them."""
    for gap_id in sorted(gap_ids):
        gap = session.get(ContentGap, gap_id)
        if gap is None:
            continue
        if gap.members <= 0:
            session.delete(gap)
        elif gap.representative_id in removed:
            gap.representative_id = None
            _represent(session, gap)


def _vectors(session: Session, rows: list[GapQuestion], encode: Encode) -> dict[str, bytes]:
    """Vectors by text hash: stored ones reused (the same words are embedded once), the rest encoded."""
    hashes = {row.text_hash for row in rows}
    known: dict[str, bytes] = {h: v for h, v in session.execute(
        select(GapQuestion.text_hash, GapQuestion.vector)
        .where(GapQuestion.text_hash.in_(hashes), GapQuestion.vector.is_not(None))).tuples() if v is not None}
    texts = sorted({row.text for row in rows if row.text_hash not in known})
    if texts:
        for text, vector in zip(texts, np.asarray(encode(texts), dtype=np.float32), strict=True):
            known[digest(text)] = pack(vector)
    return known


def _pending(session: Session) -> list[GapQuestion]:
    return list(session.scalars(select(GapQuestion).where(GapQuestion.gap_id.is_(None))
                                .order_by(GapQuestion.id).limit(BATCH)))


def embed(scope: Scope, encode: Encode, now: datetime) -> tuple[int, int]:
    """Embed and place up to BATCH new questions: (questions placed, gaps started). The encoding
    runs outside any transaction, so chat writes never wait for the model."""
    with scope() as session:
        texts = {row.id: (row.text, row.text_hash) for row in _pending(session) if row.vector is None}
        known = dict(session.execute(
            select(GapQuestion.text_hash, GapQuestion.vector)
            .where(GapQuestion.text_hash.in_({h for _, h in texts.values()}), GapQuestion.vector.is_not(None))
        ).tuples().all()) if texts else {}
    fresh = sorted({text for text, h in texts.values() if h not in known})
    encoded = {digest(t): pack(v) for t, v in zip(fresh, np.asarray(encode(fresh), dtype=np.float32), strict=True)
               } if fresh else {}
    with scope() as session:
        progress = _progress(session)
        rows = _pending(session)
        if not rows:
            return 0, 0
        vectors: dict[str, bytes] = {h: v for h, v in known.items() if v is not None} | encoded
        missing = [row for row in rows if row.vector is None and row.text_hash not in vectors]
        if missing:   # written after the encoding began: encoded now (a few, rarely)
            vectors.update(_vectors(session, missing, encode))
        revision = ArticleStore(session).revision()
        gaps = list(session.execute(select(ContentGap.id, ContentGap.vector_sum, ContentGap.members)
                                    .where(ContentGap.closed_at.is_(None)).order_by(ContentGap.id)).tuples())
        groups = Groups([unpack(s) for _, s, _ in gaps], [n for _, _, n in gaps])
        ids = [gap_id for gap_id, _, _ in gaps]
        joined: dict[int, list[GapQuestion]] = defaultdict(list)
        for row in rows:
            vector = row.vector or vectors[row.text_hash]
            row.vector = vector
            joined[groups.add(unpack(vector))].append(row)
        started = 0
        for index, members in joined.items():
            if index >= len(ids):
                gap = ContentGap(vector_sum=pack(np.zeros(DIM)), members=0, created_at=now,
                                 checked_revision=revision)
                session.add(gap)
                session.flush()
                started += 1
            else:
                gap = session.get_one(ContentGap, ids[index])
            gap.vector_sum = pack(groups.sums[index])
            gap.members = int(groups.members[index])
            for row in members:
                row.gap_id = gap.id
            _represent(session, gap)
        progress.since_recluster += len(rows)
        return len(rows), started


def _represent(session: Session, gap: ContentGap) -> None:
    """The representative: of the current one and the gap's newest POOL questions, the one
    nearest the gap's mean (all of them for most gaps; a bounded look for the largest)."""
    session.flush()
    mean = unpack(gap.vector_sum)
    current = session.get(GapQuestion, gap.representative_id) if gap.representative_id else None
    newest = session.scalars(select(GapQuestion).where(GapQuestion.gap_id == gap.id, GapQuestion.vector.is_not(None))
                             .order_by(GapQuestion.id.desc()).limit(POOL))
    pool = [row for row in [current, *newest] if row is not None and row.vector is not None and row.gap_id == gap.id]
    # Ties (a gap of two is one) go to the first wording alphabetically, as in cluster_questions.
    pool.sort(key=lambda row: (row.text, row.id))
    scores = np.array([float(unpack(row.vector or b"") @ mean) for row in pool])
    gap.representative_id = pool[nearest_the_centre(scores)].id if pool else None


def recluster(session: Session) -> int:
    """Average-link the newest WINDOW questions of open gaps again and move those whose group
    changed; each new group keeps the id of the gap most of its questions were in. Returns moves."""
    rows = list(session.scalars(select(GapQuestion).join(ContentGap, ContentGap.id == GapQuestion.gap_id)
                                .where(ContentGap.closed_at.is_(None))
                                .order_by(GapQuestion.id.desc()).limit(WINDOW)))
    hashes = sorted({row.text_hash for row in rows})
    first = {row.text_hash: row for row in reversed(rows)}
    found = dict(zip(hashes, labels(np.stack([unpack(first[h].vector or b"") for h in hashes])) if hashes else [],
                     strict=True))
    by_label: dict[int, list[GapQuestion]] = defaultdict(list)
    for row in rows:
        by_label[found[row.text_hash]].append(row)
    taken: set[int] = set()
    target: dict[int, int | None] = {}
    for label, members in sorted(by_label.items(), key=lambda item: (-len(item[1]), item[0])):
        votes = Counter(row.gap_id for row in members if row.gap_id not in taken)
        keep = min(votes, key=lambda g: (-votes[g], g)) if votes else None
        if keep is not None:
            taken.add(keep)
        target[label] = keep
    moved = [(row, label) for label, members in by_label.items() for row in members if row.gap_id != target[label]]
    _subtract(session, (row for row, _ in moved))
    now = utcnow()
    touched: dict[int, list[GapQuestion]] = defaultdict(list)
    for label in sorted({label for _, label in moved}):
        if target[label] is None:
            gap = ContentGap(vector_sum=pack(np.zeros(DIM)), members=0, created_at=now,
                             checked_revision=ArticleStore(session).revision())
            session.add(gap)
            session.flush()
            target[label] = gap.id
    for row, label in moved:
        gap = session.get_one(ContentGap, target[label])
        gap.vector_sum = pack(unpack(gap.vector_sum) + unpack(row.vector or b""))
        gap.members += 1
        row.gap_id = gap.id
        touched[gap.id].append(row)
    session.flush()
    for gap_id in touched:
        _represent(session, session.get_one(ContentGap, gap_id))
    repair(session)
    return len(moved)


def repair(session: Session) -> int:
    """Gaps whose members were erased with their conversations (or moved out): recount their sums,
    pick a representative again, drop empty ones. Returns gaps repaired."""
    counts = dict(session.execute(select(GapQuestion.gap_id, func.count()).where(GapQuestion.gap_id.is_not(None))
                                  .group_by(GapQuestion.gap_id)).tuples().all())
    # gaps whose representative is still one of their own questions
    represented = set(session.scalars(select(ContentGap.id).join(
        GapQuestion, (GapQuestion.id == ContentGap.representative_id) & (GapQuestion.gap_id == ContentGap.id))))
    fixed = 0
    for gap in session.scalars(select(ContentGap).where(ContentGap.closed_at.is_(None))):
        if counts.get(gap.id, 0) == gap.members and gap.id in represented:
            continue
        fixed += 1
        if not counts.get(gap.id):
            session.delete(gap)
            continue
        members = list(session.scalars(select(GapQuestion).where(GapQuestion.gap_id == gap.id)))
        gap.vector_sum = pack(np.sum([unpack(row.vector or b"") for row in members], axis=0))
        gap.members = len(members)
        gap.representative_id = None
        _represent(session, gap)
    return fixed


def close_answered(session: Session, search: Search, now: datetime) -> tuple[int, int, int]:
    """Open gaps not yet searched at the current knowledge revision, up to CLOSE_CHECKS, largest
    first: closed when the search is sure and its article was published (or changed) after the gap
    began. Returns (searched, closed, revision)."""
    revision = ArticleStore(session).revision()
    closed = searched = 0
    for gap in session.scalars(select(ContentGap).where(ContentGap.closed_at.is_(None),
                                                        ContentGap.checked_revision < revision)
                               .order_by(ContentGap.members.desc(), ContentGap.id).limit(CLOSE_CHECKS)):
        representative = session.get(GapQuestion, gap.representative_id) if gap.representative_id else None
        gap.checked_revision = revision
        searched += 1
        if representative is None:
            continue
        result = search(representative.text)
        article = session.get(Article, result.best.article_id) if result.sure and result.best else None
        if article is not None and article.status == "published" and article.updated_at > gap.created_at:
            gap.closed_at, gap.closed_by = now, article.id
            closed += 1
    return searched, closed, revision


def run_pass(scope: Scope, encode: Encode, search: Search | None = None, now: datetime | None = None) -> PassReport:
    """One pass of the job, in short transactions (the encoding holds none)."""
    now = now or utcnow()
    report = PassReport()
    with scope() as session:
        report.events, report.added, report.removed = read_events(session)
    report.embedded, report.new_gaps = embed(scope, encode, now)
    with scope() as session:
        progress = _progress(session)
        if progress.since_recluster >= RECLUSTER_AFTER:
            report.reclustered = recluster(session)
            progress.since_recluster = 0
        if search is not None:
            report.searched, report.closed, report.revision = close_answered(session, search, now)
    return report
