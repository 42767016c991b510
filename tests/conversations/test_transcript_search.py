"""Conversation search on SQLite (FTS5) and PostgreSQL (tsvector + GIN): the same cases on both engines.

Messages are written through the real `touchpoints.conversations.append`, so the index is the one live
writes keep; every test searches for a word of its own, as the test database is shared."""

import secrets
from datetime import datetime, timedelta

import pytest
from sqlalchemy import bindparam, func, select, text

from candor.db import session_scope
from conversations import search
from conversations.erasure import erase
from routing.models import Escalation
from touchpoints import conversations, search_index
from touchpoints.customer_models import Customer, Visitor
from touchpoints.models import ArticleUse, Conversation, Touchpoint
from touchpoints.status import ConversationStatus, move

pytestmark = pytest.mark.unit
T0 = datetime(2026, 1, 10, 9, 0)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=[pytest.mark.postgres, pytest.mark.integration])])
def url(request):
    return request.getfixturevalue("database" if request.param == "sqlite" else "postgres_url")


def word() -> str:
    return f"qz{secrets.token_hex(4)}"


def make(url, *texts, sender="customer", started=T0, status=None, customer=None, visitor=None, team=None,
         stage=None, outcome=None, article=None) -> str:
    with session_scope(url) as session:
        if customer and session.get(Customer, customer) is None:
            session.add(Customer(id=customer, verified=True, attributes={}))
        if visitor:   # a browser merged into the customer: its conversation points at the visitor only
            session.add(Visitor(id=visitor, customer_id=customer))
        session.flush()
        conversation, _ = conversations.create(session)
        conversation.created_at = started
        if visitor:
            conversation.visitor_id = visitor
        elif customer:
            conversation.customer_id = customer
        for message in texts:
            conversations.append(session, conversation.id, sender, message)
        if status:
            move(conversation, status)
        if team:
            session.add(Escalation(conversation_id=conversation.id, team=team))
        if stage:
            session.add(Touchpoint(conversation_id=conversation.id, stage=stage, resolution=outcome, satisfaction=3.0,
                                   experience_score=60, formula_version=1, started_at=started,
                                   last_activity_at=started))
        if article:
            session.add(ArticleUse(conversation_id=conversation.id, article_id=article, at=started, used=1))
        return conversation.id


def find(url, query, limit=50, teams=None, **filters) -> list[search.Hit]:
    with session_scope(url) as session:
        return search.search(session, query, search.Filters(**filters), limit, teams=teams)


def ids(hits) -> list[str]:
    return [hit.conversation_id for hit in hits]


def test_the_densest_match_ranks_first_and_every_word_must_occur(url):
    tag = word()
    filler = " ".join(["we also talked about delivery times and the colour of the sofa"] * 4)
    dense = make(url, f"{tag} refund", f"the {tag} refund again")
    sparse = make(url, f"{tag} {filler}")
    middle = make(url, f"hello, {tag} about my invoice please")
    make(url, "a refund question without the word")
    assert ids(find(url, tag)) == [dense, middle, sparse]
    # All words required, in any message of the conversation; stemming on both engines.
    assert ids(find(url, f"{tag} refunds")) == [dense]
    assert ids(find(url, f"{tag} invoices")) == [middle]
    assert find(url, f"{tag} nowhere") == []


def test_snippet_is_plain_text_with_the_matches_marked(url):
    tag = word()
    cid = make(url, "Good morning.", f"<b>{tag}</b> <script>alert(1)</script> my Refunds went missing")
    [hit] = find(url, f"{tag} refund")
    assert hit.conversation_id == cid
    marked = [hit.snippet[start:end].lower() for start, end in hit.marks]
    assert tag in marked and "refunds" in marked
    # Plain text, never HTML: the page renders it as text nodes. SQLite keeps the customer's markup as
    # typed; PostgreSQL's parser reads "<script>" as a tag token and ts_headline leaves tags out.
    assert "alert(1)" in hit.snippet and "\x02" not in hit.snippet and "\x03" not in hit.snippet
    if url.startswith("sqlite"):
        assert "<script>alert(1)</script>" in hit.snippet


def test_only_redacted_text_is_indexed_or_shown(url):
    tag = word()
    # Stored as typed (an agent's message is not masked when stored): the index masks it anyway.
    cid = make(url, f"{tag}: write to jo.bloggs@example.com, call 07700 900123, card 4111 1111 1111 1111",
               sender="agent")
    [hit] = find(url, tag)
    assert hit.conversation_id == cid and "[email]" in hit.snippet and "[phone number]" in hit.snippet
    for hidden in ("bloggs", "example", "07700", "900123", "4111"):
        assert find(url, f"{tag} {hidden}") == [], hidden
    with session_scope(url) as session:
        body = session.execute(text("SELECT body FROM conversation_search WHERE conversation_id = :c"),
                               {"c": cid}).scalar_one()
    assert "bloggs" not in body and "4111" not in body and "[card number]" in body


def test_filters_narrow_the_matches(url):
    tag, who = word(), f"cust-{secrets.token_hex(4)}"
    pro = f"plan-pro-{secrets.token_hex(3)}"
    first = make(url, f"{tag} first", status=ConversationStatus.CLOSED, customer=who, team="billing",
                 stage="decision", outcome="resolved_by_agent", article=pro)
    second = make(url, f"{tag} second", started=datetime(2026, 2, 10), visitor=f"v-{secrets.token_hex(6)}",
                  customer=who, stage="awareness", outcome="abandoned")
    third = make(url, f"{tag} third", started=datetime(2026, 3, 10), team="general")
    cases = [
        ({}, {first, second, third}),
        ({"status": "closed"}, {first}),
        ({"status": "bot"}, {second, third}),
        ({"team": "billing"}, {first}),
        ({"team": "general"}, {third}),
        ({"stage": "decision"}, {first}),
        ({"outcome": "abandoned"}, {second}),
        ({"since": datetime(2026, 2, 1)}, {second, third}),
        ({"until": datetime(2026, 2, 1)}, {first}),
        ({"since": datetime(2026, 2, 1), "until": datetime(2026, 3, 1)}, {second}),
        # Their own conversations and the anonymous ones from a browser merged into them.
        ({"customer": who}, {first, second}),
        ({"customer": who, "stage": "awareness"}, {second}),
        ({"article": pro}, {first}),
        ({"teams": ["general"]}, {second, third}),   # an agent of one team: not billing's escalations
    ]
    for filters, expected in cases:
        assert set(ids(find(url, tag, **filters))) == expected, filters


@pytest.mark.parametrize(("filters", "says"), [
    ({"status": "open"}, "bot, queued, agent, closed"),
    ({"stage": "purchase"}, "awareness"),
    ({"outcome": "happy"}, "resolved_by_agent"),
    ({"since": T0, "until": T0}, "later than"),
])
def test_a_filter_it_cannot_use_is_refused_with_words(url, filters, says):
    with pytest.raises(search.BadSearch, match=says):
        find(url, "refund", **filters)


@pytest.mark.parametrize(("headline", "shown"), [
    ("I sent it to [email", "I sent it to [email]"),
    ("call [phone … then [\x02card\x03", "call [phone number] … then [\x02card\x03 number]"),
    ("left as typed: [ and [x", "left as typed: [ and [x"),
    ("whole [email] already", "whole [email] already"),
])
def test_a_headline_cut_inside_a_placeholder_gets_its_end_back(headline, shown):
    """PostgreSQL's ts_headline ends a fragment at its last word, leaving "[email" of "[email]"."""
    assert search._close_placeholders(headline) == shown


@pytest.mark.parametrize("query", ["", "  !!! ", "___"])
def test_a_query_without_words_is_refused(url, query):
    with pytest.raises(search.BadSearch, match="at least one word"):
        find(url, query)


def test_fts_syntax_in_the_query_is_just_words(url):
    tag = word()
    cid = make(url, f"{tag} body: NEAR the OR and NOT")
    for query in (f'{tag} "body', f"{tag} body:", f"{tag} NEAR(", f"{tag} OR", f"{tag} * -"):
        assert ids(find(url, query)) == [cid], query


def test_pages_follow_the_cursor_without_gaps_or_repeats(url):
    tag = word()
    made = {make(url, " ".join([tag] * n + ["padding words here"] * (6 - n))) for n in range(1, 6)}
    whole = find(url, tag)
    assert set(ids(whole)) == made
    filters, seen, after = search.Filters(), [], None
    while True:
        with session_scope(url) as session:
            page = search.search(session, tag, filters, 3, after)   # asks limit + 1, as the route does
        seen += ids(page[:2])
        if len(page) <= 2:
            break
        after = search.position(tag, filters, search.cursor(tag, filters, page[1]))
    assert seen == ids(whole)


def test_a_cursor_from_elsewhere_is_refused(url):
    tag = word()
    make(url, tag)
    [hit] = find(url, tag)
    token = search.cursor(tag, search.Filters(), hit)
    with pytest.raises(search.BadSearch, match="different search"):
        search.position(tag, search.Filters(status="bot"), token)
    for bad in ("nonsense", "W10", "WyJ4IiwgMSwgMl0"):
        with pytest.raises(search.BadSearch, match="not one this search gave out"):
            search.position(tag, search.Filters(), bad)


def test_the_index_follows_new_messages_and_erasure(url):
    tag, later = word(), word()
    cid = make(url, f"{tag} first words")
    with session_scope(url) as session:
        conversations.append(session, cid, "agent", f"an answer with {later}")
    assert ids(find(url, f"{tag} {later}")) == [cid]
    with session_scope(url) as session:
        counts = erase(session, [cid])
    assert counts["conversations"] == 1
    assert find(url, tag) == [] and find(url, later) == []
    with session_scope(url) as session:
        assert session.execute(text("SELECT count(*) FROM conversation_search WHERE conversation_id = :c"),
                               {"c": cid}).scalar_one() == 0


def test_the_backfill_writes_what_live_writes_wrote(url):
    tag = word()
    live = {make(url, f"{tag} one", "mail me at ann@example.org", "", f"two {tag}"), make(url, tag)}
    read = text("SELECT conversation_id, body, seen_message_id FROM conversation_search "
                "WHERE conversation_id IN :ids").bindparams(bindparam("ids", expanding=True))
    with session_scope(url) as session:
        before = set(session.execute(read, {"ids": list(live)}).tuples())
        connection = session.connection()
        assert search_index.rebuild(connection) >= 2
        after = set(session.execute(read, {"ids": list(live)}).tuples())
        assert ids(search.search(session, tag, search.Filters(), 10)) and after == before
        session.rollback()   # leave the shared index as live writes made it


def test_erased_words_leave_the_sqlite_file(database, tmp_path):
    """FTS5 keeps a deleted document's words in older index segments; erasure's scrub rewrites them."""
    from pathlib import Path

    from candor.settings import get_settings
    from conversations.erasure import scrub_files

    canary = f"quokkacanary{secrets.token_hex(4)}"
    cid = make(database, f"my neighbour {canary} asked", f"and {canary} again")
    assert ids(find(database, canary)) == [cid]
    with session_scope(database) as session:
        erase(session, [cid])
    scrub_files(get_settings(), [cid])
    path = Path(database.removeprefix("sqlite:///"))
    holding = [p.name for p in path.parent.glob(path.name + "*") if canary.encode() in p.read_bytes()]
    assert holding == []
    with session_scope(database) as session:
        assert session.scalar(select(func.count()).select_from(Conversation).where(Conversation.id == cid)) == 0


def test_started_filter_uses_the_conversation_start(url):
    tag = word()
    cid = make(url, tag, started=T0 + timedelta(hours=5))
    assert ids(find(url, tag, since=T0, until=T0 + timedelta(hours=6))) == [cid]
    assert find(url, tag, since=T0 + timedelta(hours=6)) == []


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=[pytest.mark.postgres, pytest.mark.integration])])
def empty_url(request, tmp_path):
    """A database of its own, not migrated yet."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'backfill.db'}"
        return
    import psycopg

    from candor.db import get_engine

    admin = psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True, connect_timeout=5)
    name = f"candor_backfill_{secrets.token_hex(4)}"
    admin.execute(f"CREATE DATABASE {name}")
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    try:
        yield url
    finally:
        get_engine(url).dispose()
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
        admin.close()


def test_migration_0015_indexes_the_transcripts_already_stored(empty_url):
    from alembic import command

    from candor.db import get_engine
    from candor.migrate import alembic_config, upgrade

    command.upgrade(alembic_config(empty_url), "0014")
    with get_engine(empty_url).begin() as connection:   # rows as 0014 left them: no index yet
        connection.execute(text("INSERT INTO conversations (id, token_hash, status, attributes, created_at, "
                                "updated_at) VALUES ('old-1', 'x', 'closed', '{}', :t, :t)"), {"t": T0})
        connection.execute(text("INSERT INTO messages (conversation_id, seq, sender, text, payload, created_at) "
                                "VALUES ('old-1', :seq, 'agent', :said, '{}', :t)"),
                           [{"seq": 1, "said": "Your refund is on its way", "t": T0},
                            {"seq": 2, "said": "I sent it to jo.bloggs@example.com", "t": T0}])
    upgrade(empty_url)
    [hit] = find(empty_url, "refunds")
    assert hit.conversation_id == "old-1" and "[email]" in hit.snippet
    assert find(empty_url, "bloggs") == []
    with session_scope(empty_url) as session:   # and live writes carry on from there
        conversations.append(session, "old-1", "customer", "thanks, the voucher arrived")
    assert ids(find(empty_url, "refund voucher")) == ["old-1"]
