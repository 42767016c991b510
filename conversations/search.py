"""Staff search over transcripts: the database's own full-text engine, filters, a keyset cursor.

The documents are kept by touchpoints.search_index (redacted text only). SQLite ranks with FTS5's
bm25, PostgreSQL with ts_rank over the english tsvector, each normalised by document length; both
order best first as an ascending number (bm25 is negative, ts_rank is negated), then by id. The words
of the query are passed as data (quoted FTS5 strings; ``plainto_tsquery``), never as query syntax, and
all of them must occur in the conversation.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Float, Integer, String, TextClause, and_, exists, not_, or_, select, text
from sqlalchemy.orm import Session

from routing.models import Escalation
from touchpoints.customer_models import Visitor
from touchpoints.journey import STAGES
from touchpoints.models import ArticleUse, Conversation, Touchpoint
from touchpoints.scoring import RESOLUTIONS
from touchpoints.search_index import FTS, START, STOP, TABLE
from touchpoints.status import ConversationStatus

MAX_WORDS = 10
_WORD = re.compile(r"[^\W_]+")
_SQLITE_SNIPPET_TOKENS = 24
_FRAGMENTS = " … "
_PG_HEADLINE = (f"StartSel={START}, StopSel={STOP}, MaxWords=24, MinWords=10, ShortWord=2, "
                f'MaxFragments=2, FragmentDelimiter="{_FRAGMENTS}"')
_PLACEHOLDERS = ("[email]", "[phone number]", "[card number]")   # what touchpoints.redaction writes


class BadSearch(ValueError):
    """A query, filter or cursor the search cannot use; the message says what to change."""


@dataclass(frozen=True)
class Filters:
    status: str | None = None
    team: str | None = None
    stage: str | None = None
    outcome: str | None = None
    since: datetime | None = None   # started at or after (naive UTC)
    until: datetime | None = None   # started before
    customer: str | None = None
    article: str | None = None

    def check(self) -> None:
        for name, value, allowed in (("status", self.status, [s.value for s in ConversationStatus]),
                                     ("stage", self.stage, list(STAGES)), ("outcome", self.outcome, list(RESOLUTIONS))):
            if value is not None and value not in allowed:
                raise BadSearch(f"There is no {name} {value!r}; use one of {', '.join(allowed)}.")
        if self.since and self.until and self.until <= self.since:
            raise BadSearch("'until' must be later than 'since'.")


@dataclass(frozen=True)
class Hit:
    conversation_id: str
    snippet: str          # plain text
    marks: list[tuple[int, int]]   # [start, end) of each matched word in ``snippet``, in code points
    rank: float
    status: str
    started_at: datetime
    last_activity_at: datetime
    customer_id: str | None
    stage: str | None     # None until the scorer has seen the conversation
    outcome: str | None
    experience_score: int | None


def words(query: str) -> list[str]:
    found = _WORD.findall(query.lower())
    if not found:
        raise BadSearch("Type at least one word to search for (letters or digits).")
    if len(found) > MAX_WORDS:
        raise BadSearch(f"Search for at most {MAX_WORDS} words at a time.")
    return found


def search(session: Session, query: str, filters: Filters, limit: int,
           after: tuple[float, str] | None = None, teams: list[str] | None = None) -> list[Hit]:
    """Up to ``limit`` conversations, best match first, after the ``after`` position (rank, id).

    ``teams`` limits an agent to conversations not escalated, or escalated to one of their teams."""
    filters.check()
    terms = words(query)
    sqlite = session.get_bind().dialect.name == "sqlite"
    matches = _matches(sqlite).bindparams(match=_match_text(terms, sqlite)).columns(
        cid=String, doc=Integer, score=Float).subquery("m")
    statement = (
        select(matches.c.cid, matches.c.doc, matches.c.score, Conversation, Touchpoint)
        .join(Conversation, Conversation.id == matches.c.cid)
        .outerjoin(Touchpoint, Touchpoint.conversation_id == Conversation.id))
    for condition in _conditions(filters, teams):
        statement = statement.where(condition)
    if after is not None:
        rank, cid = after
        statement = statement.where(or_(matches.c.score > rank, and_(matches.c.score == rank, matches.c.cid > cid)))
    rows = session.execute(statement.order_by(matches.c.score, matches.c.cid).limit(limit)).tuples().all()
    snippets = _snippets(session, sqlite, terms, {cid: doc for cid, doc, *_ in rows})
    return [Hit(conversation_id=cid, snippet=snippets[cid][0], marks=snippets[cid][1], rank=float(rank),
                status=str(c.status), started_at=c.created_at, last_activity_at=c.updated_at,
                customer_id=c.customer_id, stage=t.stage if t else None, outcome=t.resolution if t else None,
                experience_score=t.experience_score if t else None)
            for cid, _, rank, c, t in rows]


def _matches(sqlite: bool) -> TextClause:
    if sqlite:
        return text(f"SELECT s.conversation_id AS cid, s.doc AS doc, bm25({FTS}) AS score FROM {FTS} "
                    f"JOIN {TABLE} s ON s.doc = {FTS}.rowid WHERE {FTS} MATCH :match")
    # Normalisation 1: the rank divided by 1 + log(document length), as bm25 weighs long transcripts.
    # ts_rank is a float4; as float8 it survives the trip through the cursor exactly (keyset equality).
    return text(f"SELECT s.conversation_id AS cid, s.doc AS doc, "
                f"-CAST(ts_rank(s.document, plainto_tsquery('english', :match), 1) AS float8) AS score "
                f"FROM {TABLE} s "
                f"WHERE s.document @@ plainto_tsquery('english', :match)")


def _match_text(terms: list[str], sqlite: bool) -> str:
    # FTS5: each word a quoted string (never an operator or column filter), all required.
    return " ".join(f'"{term}"' for term in terms) if sqlite else " ".join(terms)


def _conditions(filters: Filters, teams: list[str] | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    escalated = select(Escalation.id).where(Escalation.conversation_id == Conversation.id)
    if teams is not None:
        conditions.append(or_(not_(exists(escalated)), exists(escalated.where(Escalation.team.in_(teams)))))
    if filters.team is not None:
        conditions.append(exists(escalated.where(Escalation.team == filters.team)))
    if filters.status is not None:
        conditions.append(Conversation.status == ConversationStatus(filters.status))
    if filters.stage is not None:
        conditions.append(Touchpoint.stage == filters.stage)
    if filters.outcome is not None:
        conditions.append(Touchpoint.resolution == filters.outcome)
    if filters.since is not None:
        conditions.append(Conversation.created_at >= filters.since)
    if filters.until is not None:
        conditions.append(Conversation.created_at < filters.until)
    if filters.customer is not None:
        # Their own conversations and those from a browser merged into them (anonymous ones before sign-in).
        merged = select(Visitor.id).where(Visitor.customer_id == filters.customer)
        conditions.append(or_(Conversation.customer_id == filters.customer, Conversation.visitor_id.in_(merged)))
    if filters.article is not None:
        conditions.append(exists(select(ArticleUse.id).where(ArticleUse.conversation_id == Conversation.id,
                                                             ArticleUse.article_id == filters.article)))
    return conditions


def _snippets(session: Session, sqlite: bool, terms: list[str],
              docs: dict[str, int]) -> dict[str, tuple[str, list[tuple[int, int]]]]:
    """The marked fragment of each hit, asked for the page's rows only (not every match)."""
    marked: dict[str, str] = {}
    if sqlite:
        query = text(f"SELECT snippet({FTS}, 0, :start, :stop, '…', {_SQLITE_SNIPPET_TOKENS}) FROM {FTS} "
                     f"WHERE {FTS} MATCH :match AND rowid = :doc")
        for cid, doc in docs.items():
            marked[cid] = session.execute(query, {"start": START, "stop": STOP, "match": _match_text(terms, True),
                                                  "doc": doc}).scalar_one()
    elif docs:
        query = text(f"SELECT conversation_id, ts_headline('english', body, plainto_tsquery('english', :match), "
                     f":options) FROM {TABLE} WHERE conversation_id = ANY(:ids)")
        for cid, fragment in session.execute(query, {"match": _match_text(terms, False), "options": _PG_HEADLINE,
                                                     "ids": list(docs)}).tuples():
            marked[str(cid)] = _close_placeholders(str(fragment))
    return {cid: unmark(marked.get(cid, "")) for cid in docs}


def _close_placeholders(headline: str) -> str:
    """ts_headline ends a fragment at its last word, so "… sent to [email]" comes back as "[email":
    a fragment ending inside a redaction placeholder gets the placeholder's end back."""
    parts = headline.split(_FRAGMENTS)
    for n, part in enumerate(parts):
        start = part.rfind("[")
        tail = part[start:].replace(START, "").replace(STOP, "") if start >= 0 else ""
        for placeholder in _PLACEHOLDERS:
            if len(tail) > 1 and tail != placeholder and placeholder.startswith(tail):
                parts[n] = part + placeholder[len(tail):]
                break
    return _FRAGMENTS.join(parts)


def unmark(fragment: str) -> tuple[str, list[tuple[int, int]]]:
    """Plain text and the [start, end) of each marked run; the transcript's line breaks become ' · '."""
    plain: list[str] = []
    marks: list[tuple[int, int]] = []
    length = 0
    start: int | None = None
    for char in fragment:
        if char == START:
            start = length
        elif char == STOP:
            if start is not None and length > start:
                marks.append((start, length))
            start = None
        else:
            piece = " · " if char == "\n" else char
            plain.append(piece)
            length += len(piece)
    return "".join(plain).strip(), marks


# The cursor: the last hit's position and a fingerprint of the search it belongs to, so a cursor
# carried over to another query or other filters is refused instead of silently skipping results.
def cursor(query: str, filters: Filters, last: Hit) -> str:
    raw = json.dumps([last.rank, last.conversation_id, _fingerprint(query, filters)])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def position(query: str, filters: Filters, token: str) -> tuple[float, str]:
    try:
        rank, cid, fingerprint = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if (not isinstance(rank, float | int) or not math.isfinite(rank) or not isinstance(cid, str)
                or not isinstance(fingerprint, str)):
            raise ValueError(token)
    except (ValueError, TypeError, UnicodeError) as error:
        raise BadSearch("This 'next' cursor is not one this search gave out: use the 'next' of the previous "
                        "page, or leave it out for the first page.") from error
    if fingerprint != _fingerprint(query, filters):
        raise BadSearch("This 'next' cursor belongs to a different search (other words or filters): "
                        "leave it out to start from the first page.")
    return float(rank), cid


def _fingerprint(query: str, filters: Filters) -> str:
    described = json.dumps([words(query), asdict(filters)], default=str, sort_keys=True)
    return hashlib.sha256(described.encode()).hexdigest()[:16]
