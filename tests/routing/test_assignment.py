"""Auto-assignment: online agents with room get the waiting escalations, in turn or by load;
never two owners, never over capacity, also when several workers assign at once."""

import secrets
import threading
from collections import Counter
from datetime import timedelta

import pytest
from routing_helpers import owners, team_of, waiting
from sqlalchemy import select

from candor.db import get_sessionmaker, utcnow
from routing import assignment, presence, queue
from routing.config import Assignment
from routing.lifecycle import EscalationStatus, Presence
from routing.models import Escalation
from routing.staff import User, add_user
from touchpoints.models import Conversation, Event
from touchpoints.status import ConversationStatus

pytestmark = pytest.mark.unit


def test_manual_teams_are_never_assigned(session):
    team, _ = team_of(session, 2)
    ids = waiting(session, team, 2)
    assert assignment.fill(session, Assignment(), team, utcnow()) == []
    assert set(owners(session, ids).values()) == {None}


def test_least_loaded_fills_the_emptiest_agent_and_stops_at_capacity(session):
    team, (ana, ben) = team_of(session, 2, capacity=2)
    first = waiting(session, team, 1)
    queue.claim(session, first[0], ana.username)  # ana holds one already
    ids = waiting(session, team, 4)
    assigned = assignment.fill(session, Assignment(default="least_loaded"), team, utcnow())
    held = owners(session, ids)
    assert assigned == ids[:3]  # 1 more for ana, 2 for ben: both full, the last one waits
    assert Counter(held.values()) == Counter({ben.username: 2, ana.username: 1, None: 1})
    assert held[ids[0]] == ben.username  # the emptiest first
    conversation = session.get_one(Conversation, session.get_one(Escalation, ids[0]).conversation_id)
    assert conversation.status == ConversationStatus.AGENT


def test_round_robin_takes_turns(session):
    team, users = team_of(session, 3, capacity=5)
    ids = waiting(session, team, 6)
    assignment.fill(session, Assignment(teams={team: "round_robin"}), team, utcnow())
    held = owners(session, ids)
    assert [held[i] for i in ids] == [u.username for u in users] * 2


def test_away_offline_and_quiet_agents_get_nothing(session):
    team, (online, away, offline, quiet) = team_of(session, 4)
    now = utcnow()
    presence.set_presence(session, away, Presence.AWAY, now)
    presence.set_presence(session, offline, Presence.OFFLINE, now)
    policy = Assignment(default="least_loaded", away_after_seconds=60)
    quiet.last_seen_at = now - timedelta(seconds=61)  # the console stopped calling
    assert presence.effective(quiet, now, policy.away_after) == Presence.AWAY
    ids = waiting(session, team, 5)
    assignment.fill(session, policy, team, now)
    assert Counter(owners(session, ids).values()) == Counter({online.username: 3, None: 2})
    # The console calls again: the agent is available, and the queue can go to them.
    assert presence.seen(session, quiet, now, policy.away_after) is True
    assert presence.seen(session, quiet, now + timedelta(seconds=5), policy.away_after) is False
    assert quiet.last_seen_at == now  # a call within 10 s of the last one writes nothing
    assert presence.effective(quiet, now, policy.away_after) == Presence.ONLINE
    assignment.fill(session, policy, team, now)
    assert Counter(owners(session, ids).values()) == Counter({online.username: 3, quiet.username: 2})


def test_going_offline_hands_conversations_back_to_the_queue(session):
    team, (ana, ben) = team_of(session, 2, capacity=2)
    ids = waiting(session, team, 2)
    policy = Assignment(default="round_robin")
    assignment.fill(session, policy, team, utcnow())
    released = presence.set_presence(session, ana, Presence.OFFLINE, utcnow())
    assert [e.id for e in released] == [ids[0]]
    escalation = session.get_one(Escalation, ids[0])
    assert (escalation.status, escalation.claimed_by) == (EscalationStatus.QUEUED, None)
    assert session.get_one(Conversation, escalation.conversation_id).status == ConversationStatus.QUEUED
    assert assignment.fill(session, policy, team, utcnow()) == [ids[0]]
    assert set(owners(session, ids).values()) == {ben.username}


def race(url: str, agents: int = 4, capacity: int = 3, escalations: int = 20, workers: int = 6) -> None:
    """Several workers fill the same team at once while agents come online one by one."""
    make = get_sessionmaker(url)
    policy = Assignment(default="least_loaded")
    with make() as session:
        team, users = team_of(session, agents, capacity, online=False)
        names = [u.username for u in users]
        ids = waiting(session, team, escalations)
        session.commit()
    start, guard, got, errors = threading.Barrier(workers + agents), threading.Lock(), [], []

    def worker() -> None:
        start.wait()
        for _ in range(agents * 2):
            with make() as session:
                mine = assignment.fill(session, policy, team, utcnow())
                session.commit()
            with guard:
                got.extend(mine)

    def comes_online(name: str) -> None:
        start.wait()
        with make() as session:
            user = session.scalar(select(User).where(User.username == name))
            presence.set_presence(session, user, Presence.ONLINE, utcnow())
            session.commit()

    def guarded(target, *args) -> None:
        try:
            target(*args)
        except Exception as error:  # reported below: a thread's exception would otherwise vanish
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(worker,)) for _ in range(workers)]
    threads += [threading.Thread(target=guarded, args=(comes_online, name)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with make() as session:
        # Whatever the interleaving, a last pass with everyone online fills every free place.
        got.extend(assignment.fill(session, policy, team, utcnow()))
        session.commit()
        held = owners(session, ids)
        claims = Counter(session.scalars(select(Event.data["escalation_id"].as_integer()).where(
            Event.kind == "assigned", Event.data["escalation_id"].as_integer().in_(ids))))
    assert len(got) == len(set(got)) == agents * capacity  # nobody assigned twice, every place filled
    assert set(claims.values()) == {1} and set(claims) == set(got)  # exactly one owner each
    load = Counter(owner for owner in held.values() if owner is not None)
    assert set(load) == set(names) and max(load.values()) <= capacity
    assert sum(owner is None for owner in held.values()) == escalations - agents * capacity


def test_assignment_race_on_sqlite(database):
    race(database)


@pytest.mark.postgres
def test_assignment_race_on_postgresql(postgres_url):
    race(postgres_url)


@pytest.mark.postgres
def test_a_second_assigner_waits_for_the_first_on_postgresql(postgres_url):
    """The interleaving the agent-row lock exists for: B counts the agent's load while A's
    assignment is not yet committed. Without the lock B would see room and give a second one."""
    make = get_sessionmaker(postgres_url)
    policy = Assignment(default="least_loaded")
    with make() as session:
        team, (ana,) = team_of(session, 1, capacity=1)
        ids = waiting(session, team, 2)
        session.commit()
    first, second = make(), make()
    try:
        # A takes the second escalation (B will try the first: no row lock on it to wait for).
        (candidate,) = assignment.candidates(first, team, utcnow(), policy.away_after)
        assert assignment.assign(first, ids[1], candidate.user, utcnow())  # not committed yet
        result: list[list[int]] = []
        other = threading.Thread(target=lambda: result.append(assignment.fill(second, policy, team, utcnow())))
        other.start()
        other.join(timeout=1.0)
        assert other.is_alive(), "the second assigner should wait for the first one's agent rows"
        first.commit()
        other.join(timeout=10)
        second.commit()
        assert result == [[]]
    finally:
        first.close()
        second.close()
    with make() as session:
        assert owners(session, ids) == {ids[0]: None, ids[1]: ana.username}


@pytest.mark.parametrize("capacity", [0, -1, 51])
def test_capacity_outside_one_to_fifty_is_refused(session, capacity):
    from routing.staff import StaffError

    with pytest.raises(StaffError, match="capacity must be between 1 and 50"):
        add_user(session, f"cap-{secrets.token_hex(4)}", "password1", "agent", [], capacity)


def test_a_new_agent_starts_offline_with_the_default_capacity(session):
    user = add_user(session, f"new-{secrets.token_hex(4)}", "password1", "agent")
    session.flush()
    session.expire(user)
    assert (user.capacity, user.presence, user.last_seen_at) == (3, Presence.OFFLINE, None)


@pytest.mark.parametrize(("assignment_yaml", "words"), [
    ("{teams: {billing: fastest}}", "assignment.teams.billing"),
    ("{default: everyone}", "assignment.default"),
    ("{away_after_seconds: 5}", "assignment.away_after_seconds"),
    ("{auto: true}", "assignment.auto"),
])
def test_the_policy_file_names_a_bad_assignment_key(tmp_path, assignment_yaml, words):
    from routing.config import PolicyError, load_policy

    path = tmp_path / "policy.yml"
    path.write_text(f"assignment: {assignment_yaml}\n")
    with pytest.raises(PolicyError, match=words.replace(".", r"\.")):
        load_policy(path)


def test_the_shipped_policy_assigns_by_hand_unless_a_team_says_otherwise(tmp_path):
    from routing.config import load_policy

    shipped = load_policy().assignment
    assert (shipped.default, shipped.mode("billing")) == ("manual", "manual")
    path = tmp_path / "policy.yml"
    path.write_text("assignment: {default: manual, teams: {billing: round_robin}}\n")
    mine = load_policy(path).assignment
    assert (mine.mode("billing"), mine.mode("sales")) == ("round_robin", "manual")


def test_candor_user_add_sets_the_capacity(database):
    from typer.testing import CliRunner

    from candor.cli import app
    from candor.db import session_scope

    name = f"cli-{secrets.token_hex(4)}"
    runner = CliRunner()
    added = runner.invoke(app, ["user", "add", name, "--role", "agent", "--team", "billing", "--capacity", "5",
                                "--password", "password1"])
    assert added.exit_code == 0, added.output
    refused = runner.invoke(app, ["user", "add", f"{name}x", "--role", "agent", "--capacity", "0",
                                  "--password", "password1"])
    assert refused.exit_code == 2 and "capacity must be between 1 and 50" in refused.output
    with session_scope() as session:
        user = session.scalar(select(User).where(User.username == name))
        assert (user.capacity, user.teams, user.presence) == (5, ["billing"], Presence.OFFLINE)
