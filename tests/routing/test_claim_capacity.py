"""Manual claims respect the agent's capacity with the same guarantee as auto-assignment: never two
owners, never over capacity, also with several tabs per agent and an assigner running at once."""

import random
import threading
from collections import Counter

import pytest
from routing_helpers import owners, team_of, waiting
from sqlalchemy import select

from candor.db import get_sessionmaker, utcnow
from routing import assignment, queue
from routing.config import Assignment
from routing.lifecycle import EscalationStatus
from routing.models import Escalation
from routing.staff import User, add_user
from touchpoints.models import Event

pytestmark = pytest.mark.unit


def test_a_claim_at_capacity_is_refused_in_words(session):
    team, (ana,) = team_of(session, 1, capacity=2)
    ids = waiting(session, team, 3)
    for escalation_id in ids[:2]:
        assert assignment.claim(session, escalation_id, ana, utcnow()).claimed_by == ana.username
    with pytest.raises(assignment.AtCapacity, match="You already have 2 conversations open, your limit is 2"):
        assignment.claim(session, ids[2], ana, utcnow())
    assert session.get_one(Escalation, ids[2]).status == EscalationStatus.QUEUED
    # A taken escalation is a conflict whatever the claimer's load.
    with pytest.raises(queue.ClaimConflict, match="already claimed or closed"):
        assignment.claim(session, ids[0], ana, utcnow())
    queue.resolve(session, ids[0], ana.username, return_to_bot=True)  # room again
    assert assignment.claim(session, ids[2], ana, utcnow()).status == EscalationStatus.CLAIMED


def test_an_admin_claim_is_not_limited(session):
    team, _ = team_of(session, 1, capacity=1)
    admin = add_user(session, f"{team}-admin", "password1", "admin", [], 1)
    ids = waiting(session, team, 2)
    assert [assignment.claim(session, i, admin, utcnow()).claimed_by for i in ids] == [admin.username] * 2


def race(url: str, agents: int = 3, capacity: int = 2, escalations: int = 12, tabs: int = 3) -> None:
    """Every agent claims from several tabs at once (each tab its own shuffled order) while an
    auto-assigner fills the same team."""
    make = get_sessionmaker(url)
    with make() as session:
        team, users = team_of(session, agents, capacity)
        names = [u.username for u in users]
        ids = waiting(session, team, escalations)
        session.commit()
    start, guard, won, errors = threading.Barrier(agents * tabs + 1), threading.Lock(), [], []

    def tab(name: str, seed: int) -> None:
        order = random.Random(seed).sample(ids, len(ids))
        start.wait()
        for escalation_id in order:
            with make() as session:
                user = session.scalar(select(User).where(User.username == name))
                try:
                    assignment.claim(session, escalation_id, user, utcnow())
                    session.commit()
                    with guard:
                        won.append((escalation_id, name))
                except (queue.ClaimConflict, assignment.AtCapacity):
                    session.rollback()

    def assigner() -> None:
        start.wait()
        for _ in range(3):
            with make() as session:
                assignment.fill(session, Assignment(default="least_loaded"), team, utcnow())
                session.commit()

    def guarded(target, *args) -> None:
        try:
            target(*args)
        except Exception as error:  # reported below: a thread's exception would otherwise vanish
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(tab, name, n * 100 + t))
               for n, name in enumerate(names) for t in range(tabs)]
    threads.append(threading.Thread(target=guarded, args=(assigner,)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with make() as session:
        held = owners(session, ids)
        moves = Counter(session.scalars(select(Event.data["escalation_id"].as_integer()).where(
            Event.kind == "escalation_transition", Event.data["new"].as_string() == "claimed",
            Event.data["escalation_id"].as_integer().in_(ids))))
    load = Counter(owner for owner in held.values() if owner is not None)
    assert max(load.values()) <= capacity and sum(load.values()) == agents * capacity  # full, never over
    assert set(moves.values()) == {1} and len(moves) == agents * capacity  # exactly one owner each
    assert len(won) == len({e for e, _ in won})                            # no escalation claimed twice
    assert all(held[e] == name for e, name in won)


def test_claim_race_on_sqlite(database):
    race(database)


@pytest.mark.postgres
def test_claim_race_on_postgresql(postgres_url):
    race(postgres_url)


@pytest.mark.postgres
def test_a_second_tab_waits_for_the_first_claim_on_postgresql(postgres_url):
    """The interleaving the row lock exists for: the second tab counts the agent's load while the
    first tab's claim is not yet committed. Without the lock it would see room and claim a second."""
    make = get_sessionmaker(postgres_url)
    with make() as session:
        team, (ana,) = team_of(session, 1, capacity=1)
        ids = waiting(session, team, 2)
        session.commit()
    first, second = make(), make()
    try:
        assignment.claim(first, ids[0], first.get_one(User, ana.id), utcnow())   # not committed yet
        outcome: list[object] = []

        def other_tab() -> None:
            try:
                outcome.append(assignment.claim(second, ids[1], second.get_one(User, ana.id), utcnow()))
            except assignment.AtCapacity as error:
                outcome.append(error)

        thread = threading.Thread(target=other_tab)
        thread.start()
        thread.join(timeout=1.0)
        assert thread.is_alive(), "the second claim should wait for the first one's agent row"
        first.commit()
        thread.join(timeout=10)
        second.rollback()
        assert len(outcome) == 1 and isinstance(outcome[0], assignment.AtCapacity)
        assert "your limit is 1" in str(outcome[0])
    finally:
        first.close()
        second.close()
    with make() as session:
        assert owners(session, ids) == {ids[0]: ana.username, ids[1]: None}
