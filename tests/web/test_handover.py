"""Presence, auto-assignment, unclaim and transfer through the API, as the console uses them."""

import secrets

import pytest
from web_helpers import offline_client, start

from candor.db import session_scope
from routing import staff
from routing.config import Assignment

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("database")]
PASSWORD = "correct horse battery"


class Desk:
    """An app whose bot is down (every message queues) for a team of its own, and its agents."""

    def __init__(self, mode: str = "manual") -> None:
        self.client = offline_client()
        config = self.client.app.state.chat.router.config
        self.team = f"desk{secrets.token_hex(3)}"
        self.other_team = f"{self.team}x"
        config.default_team = self.team
        config.assignment = Assignment(default=mode)
        self.headers: dict[str, dict[str, str]] = {}

    def agent(self, name: str, teams: list[str] | None = None, capacity: int = 3) -> str:
        username = f"{self.team}-{name}"
        with session_scope() as session:
            staff.add_user(session, username, PASSWORD, "agent", teams or [self.team], capacity)
        token = self.client.post("/api/auth/login", json={"username": username, "password": PASSWORD}).json()["token"]
        self.headers[name] = {"Authorization": f"Bearer {token}"}
        return username

    def waiting(self) -> tuple[int, str, dict[str, str]]:
        conversation_id, customer = start(self.client)
        sent = self.client.post(f"/api/conversations/{conversation_id}/messages", json={"text": "hello?"},
                                headers=customer)
        assert sent.status_code == 200, sent.text
        mine = [e for e in self.client.get("/api/escalations", headers=next(iter(self.headers.values()))).json()
                if e["conversation_id"] == conversation_id]
        return mine[0]["id"], conversation_id, customer

    def presence(self, name: str, status: str) -> dict:
        answer = self.client.put("/api/agents/me/presence", json={"status": status}, headers=self.headers[name])
        assert answer.status_code == 200, answer.text
        return answer.json()

    def post(self, name: str, path: str, body: dict | None = None):
        return self.client.post(path, json=body, headers=self.headers[name])

    def detail(self, name: str, escalation_id: int) -> dict:
        return self.client.get(f"/api/escalations/{escalation_id}", headers=self.headers[name]).json()

    def status(self, customer: dict[str, str], conversation_id: str) -> str:
        return self.client.get(f"/api/conversations/{conversation_id}", headers=customer).json()["status"]


def test_presence_is_validated_and_listed_with_load():
    desk = Desk()
    ana = desk.agent("ana", capacity=2)
    refused = desk.client.put("/api/agents/me/presence", json={"status": "busy"}, headers=desk.headers["ana"])
    assert refused.status_code == 422 and "online" in refused.text
    escalation_id, _, _ = desk.waiting()
    assert desk.post("ana", f"/api/escalations/{escalation_id}/claim").status_code == 200
    state = desk.presence("ana", "online")
    assert (state["status"], state["chosen"], state["capacity"], state["load"]) == ("online", "online", 2, 1)
    listed = {a["username"]: a for a in desk.client.get("/api/agents", headers=desk.headers["ana"]).json()}
    assert listed[ana]["status"] == "online" and listed[ana]["load"] == 1
    assert listed[ana]["last_seen_at"].endswith("Z")


def test_auto_assignment_on_queue_online_and_freed_slot_and_back_to_queue_when_offline():
    desk = Desk("least_loaded")
    ana = desk.agent("ana", capacity=1)
    desk.agent("ben", capacity=1)
    first, conversation, customer = desk.waiting()  # nobody online: it waits
    assert desk.detail("ana", first)["status"] == "queued"
    assert desk.presence("ana", "online")["assigned"] == [first]  # coming online takes it
    assert desk.detail("ana", first)["claimed_by"] == ana
    assert desk.status(customer, conversation) == "agent"
    second, _, _ = desk.waiting()  # ana is full, ben offline: it waits
    assert desk.detail("ana", second)["status"] == "queued"
    # Resolving frees ana's slot: the waiting one is hers at once.
    assert desk.post("ana", f"/api/escalations/{first}/resolve", {"return_to_bot": True}).status_code == 200
    assert desk.detail("ana", second)["claimed_by"] == ana
    # Offline: back to the queue, and to ben when he comes online.
    state = desk.presence("ana", "offline")
    assert state["released"] == [second] and state["load"] == 0
    assert desk.detail("ana", second)["status"] == "queued"
    assert desk.presence("ben", "online")["assigned"] == [second]
    kinds = [(t["kind"], t.get("new"), t.get("agent")) for t in desk.detail("ben", second)["timeline"]]
    assert kinds == [("escalation_transition", "queued", None), ("escalation_transition", "claimed", None),
                     ("assigned", None, ana), ("escalation_transition", "queued", None),
                     ("released", None, ana), ("escalation_transition", "claimed", None),
                     ("assigned", None, f"{desk.team}-ben")]


# Unclaim and transfer from each state: (who holds it, action) → answer and what follows.
STATES = ["queued", "mine", "theirs", "closed"]
EXPECTED = {
    ("queued", "unclaim"): 409, ("mine", "unclaim"): 200, ("theirs", "unclaim"): 409, ("closed", "unclaim"): 409,
    ("queued", "team"): 200, ("mine", "team"): 200, ("theirs", "team"): 409, ("closed", "team"): 409,
    ("queued", "agent"): 200, ("mine", "agent"): 200, ("theirs", "agent"): 409, ("closed", "agent"): 409,
}


@pytest.mark.parametrize(("state", "action"), list(EXPECTED))
def test_unclaim_and_transfer_state_table(state, action):
    desk = Desk()
    ana = desk.agent("ana")
    desk.agent("ben")
    cleo = desk.agent("cleo", teams=[desk.team, desk.other_team])
    desk.presence("cleo", "away")  # away may still be handed one by name
    escalation_id, conversation, customer = desk.waiting()
    if state != "queued":
        desk.post("ana" if state in ("mine", "closed") else "ben", f"/api/escalations/{escalation_id}/claim")
    if state == "closed":
        desk.post("ana", f"/api/escalations/{escalation_id}/resolve", {"return_to_bot": True})
    path = f"/api/escalations/{escalation_id}/" + ("unclaim" if action == "unclaim" else "transfer")
    body = {"unclaim": None, "team": {"team": desk.other_team, "note": "Billing, not support."},
            "agent": {"agent": cleo, "note": "Cleo knows this customer."}}[action]
    before = desk.detail("ana", escalation_id)
    answer = desk.post("ana", path, body)
    assert answer.status_code == EXPECTED[(state, action)], answer.text
    after = desk.detail("ana", escalation_id) if action != "team" or answer.status_code != 200 else None
    if answer.status_code != 200:
        assert answer.json()["detail"]  # a sentence, not a code
        assert {k: after[k] for k in ("status", "claimed_by", "team")} == \
               {k: before[k] for k in ("status", "claimed_by", "team")}
        return
    moved = answer.json()
    if action == "unclaim":
        assert (moved["status"], moved["claimed_by"]) == ("queued", None)
        assert desk.status(customer, conversation) == "queued"
        assert after["timeline"][-1]["kind"] == "unclaimed" and after["timeline"][-1]["agent"] == ana
    elif action == "team":
        assert (moved["status"], moved["claimed_by"], moved["team"]) == ("queued", None, desk.other_team)
        seen = desk.detail("cleo", escalation_id)  # the other team's agent sees it, note included
        assert seen["notes"][-1]["text"] == "Billing, not support." and seen["notes"][-1]["author"] == ana
        assert seen["timeline"][-1]["kind"] == "transferred" and seen["timeline"][-1]["team"] == desk.other_team
        assert desk.client.get(f"/api/escalations/{escalation_id}", headers=desk.headers["ben"]).status_code == 404
    else:
        assert (moved["status"], moved["claimed_by"]) == ("claimed", cleo)
        assert desk.status(customer, conversation) == "agent"
        seen = desk.detail("cleo", escalation_id)
        assert seen["notes"][-1]["text"] == "Cleo knows this customer."
        assert seen["timeline"][-1]["agent"] == cleo


def test_transfer_is_refused_with_reasons():
    desk = Desk()
    desk.agent("ana")
    full = desk.agent("full", capacity=1)
    gone = desk.agent("gone")
    desk.presence("full", "online")
    escalation_id, _, _ = desk.waiting()
    other, _, _ = desk.waiting()
    desk.post("full", f"/api/escalations/{other}/claim")
    cases = [
        ({"note": "x"}, 422, "a team, an agent"),
        ({"team": desk.team, "note": "   "}, 422, "leave a note"),
        ({"team": "nowhere", "note": "x"}, 422, "no team called"),
        ({"agent": "nobody", "note": "x"}, 422, "no agent called"),
        ({"agent": gone, "note": "x"}, 409, "offline"),
        ({"agent": full, "note": "x"}, 409, "capacity"),
        ({"team": desk.team, "note": "x", "extra": 1}, 422, "extra"),
    ]
    for body, code, words in cases:
        answer = desk.post("ana", f"/api/escalations/{escalation_id}/transfer", body)
        assert (answer.status_code, words in answer.text) == (code, True), (body, answer.text)
    detail = desk.detail("ana", escalation_id)
    assert (detail["status"], detail["notes"]) == ("queued", [])  # nothing half-done stays behind


class RecordingRasa:
    """Stands in for Rasa's tracker API only (the real client still answers turns, here refused):
    records the pause/resume events the console's moves send."""

    def __init__(self, real) -> None:
        self.real, self.events = real, []

    def append_event(self, conversation_id: str, event: dict) -> None:
        self.events.append((conversation_id, event["event"]))

    def __getattr__(self, name: str):
        return getattr(self.real, name)


@pytest.mark.parametrize("move", ["unclaim", "transfer", "offline"])
def test_a_conversation_nobody_holds_any_more_has_its_bot_resumed(move):
    """A claim pauses the bot; once nobody holds the conversation, a customer who chooses "keep
    chatting with the bot" while waiting again must find it answering, not paused."""
    desk = Desk()
    desk.agent("ana")
    rasa = desk.client.app.state.chat.rasa = RecordingRasa(desk.client.app.state.chat.rasa)
    escalation_id, conversation, _ = desk.waiting()
    desk.post("ana", f"/api/escalations/{escalation_id}/claim")
    if move == "unclaim":
        desk.post("ana", f"/api/escalations/{escalation_id}/unclaim")
    elif move == "transfer":
        desk.post("ana", f"/api/escalations/{escalation_id}/transfer", {"team": desk.team, "note": "Not mine."})
    else:
        desk.presence("ana", "offline")
    assert [e for c, e in rasa.events if c == conversation] == ["pause", "resume"]
    assert desk.detail("ana", escalation_id)["status"] == "queued"
