"""bot/rasa_server.py: Rasa's action-response check, with its schema checked once, still accepts
what Rasa accepts and rejects what it rejects, with Rasa's own error; its event-class cache resolves
as Rasa does; and bot/cached_tracker_store.py reads back what Rasa's SQL store reads (all run in
the Rasa environment)."""

import json
import subprocess

import pytest

from candor.settings import get_settings
from candor.training import rasa_env

pytestmark = pytest.mark.integration

PROBE = """
import json, sys
sys.path.insert(0, "bot")
from rasa_server import reuse_action_response_validator
from rasa.core.actions.action import RemoteAction
from jsonschema import ValidationError
reuse_action_response_validator()
action = RemoteAction("action_answer_from_kb", None)
good = {"events": [{"event": "slot", "name": "rating", "value": None}],
        "responses": [{"text": "Installation is free.", "buttons": [{"title": "Yes", "payload": "/affirm"}],
                       "custom": {"sources": [{"id": "installation-fee"}]}}]}
out = {"good": action._validate_action_result(good),
       "ours": RemoteAction._validate_action_result.__module__ == "rasa_server"}
for name, bad in {"responses": {"responses": "not a list"}, "event": {"events": [{"name": "x"}]}}.items():
    try:
        action._validate_action_result(bad)
        out[name] = "accepted"
    except ValidationError as error:
        out[name] = str(error.message)
print(json.dumps(out))
"""


def in_rasa_env(probe: str, *args: str) -> dict:
    """Run a probe with the Rasa environment's Python; its last printed line is JSON."""
    settings = get_settings()
    result = subprocess.run([str(settings.rasa_venv / "bin" / "python"), "-c", probe, *args], cwd=settings.root,
                            capture_output=True, text=True, timeout=300, env=rasa_env())
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_reused_validator_judges_as_rasa_does():
    out = in_rasa_env(PROBE)
    assert out["good"] is True and out["ours"] is True
    for name in ("responses", "event"):
        assert "Failed to validate Action server response" in out[name], out


EVENTS_PROBE = """
import json, sys
sys.path.insert(0, "bot")
from rasa_server import cache_event_classes
from rasa.shared.core.events import Event, SlotSet
names = ["user", "bot", "action", "slot", "active_loop", "followup", "session_started", "user_featurization"]
before = {n: Event.resolve_by_type(n).__name__ for n in names}
cache_event_classes()
after = {n: Event.resolve_by_type(n).__name__ for n in names + names}
try:
    Event.resolve_by_type("no_such_event")
    unknown = "accepted"
except ValueError as error:
    unknown = str(error)
print(json.dumps({"same": before == after, "default": Event.resolve_by_type("nope", SlotSet).__name__,
                  "unknown": unknown, "topic": Event.resolve_by_type("topic")}))
"""


def test_cached_event_classes_resolve_as_rasa_does():
    assert in_rasa_env(EVENTS_PROBE) == {"same": True, "default": "SlotSet",
                                         "unknown": "Unknown event name 'no_such_event'.", "topic": None}


TRACKER_PROBE = """
import asyncio, json, os, sys, tempfile
sys.path.insert(0, "bot")
from cached_tracker_store import CachedSQLTrackerStore
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

domain = Domain.from_yaml('''
version: "3.1"
intents: [greet]
slots:
  rating:
    type: text
    mappings: [{type: custom}]
''')
db = os.path.join(tempfile.mkdtemp(), "tracker.db")
ours = CachedSQLTrackerStore(domain=domain, dialect="sqlite", db=db)
replica = CachedSQLTrackerStore(domain=domain, dialect="sqlite", db=db)   # a second Rasa server
rasa = SQLTrackerStore(domain=domain, dialect="sqlite", db=db)             # Rasa's own, for comparison
reads = []
rasa_retrieve = SQLTrackerStore._retrieve
async def counted(self, sender_id, fetch_events_from_all_sessions):
    reads.append(self is ours)
    return await rasa_retrieve(self, sender_id, fetch_events_from_all_sessions)
SQLTrackerStore._retrieve = counted

def dicts(tracker):
    return None if tracker is None else [event.as_dict() for event in tracker.events]

async def turn(store, text, slot=None):
    tracker = await store.retrieve("c1")
    tracker.update(UserUttered(text, {"name": "greet", "confidence": 1.0}))
    if slot:
        tracker.update(SlotSet("rating", slot))
    for event in (ActionExecuted("utter_greet"), BotUttered(text.upper()), ActionExecuted("action_listen")):
        tracker.update(event)
    await store.save(tracker)

async def same():
    mine, theirs = await ours.retrieve("c1"), await rasa.retrieve("c1")
    return dicts(mine) == dicts(theirs) and mine.current_slot_values() == theirs.current_slot_values()

def stored():
    with rasa.session_scope() as session:
        return session.query(rasa.SQLEvent).filter(rasa.SQLEvent.sender_id == "c1").count()

async def main():
    out = {}
    start = DialogueStateTracker("c1", domain.slots)
    for event in (ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")):
        start.update(event)
    await ours.save(start)
    await turn(ours, "one")            # read from the database: the session has just started
    reads.clear()
    await turn(ours, "two", slot="4")
    out["kept"] = reads.count(True) == 0
    out["same_after_two"] = await same()
    out["slot"] = (await ours.retrieve("c1")).get_slot("rating")
    await turn(replica, "three")       # another server wrote since
    latest = await ours.retrieve("c1")
    out["sees_the_other_server"] = latest.latest_message.text == "three" and await same()
    await turn(ours, "four")
    out["same_after_four"] = await same()
    out["no_row_twice"] = stored() == len((await rasa.retrieve_full_tracker("c1")).events) == 3 + 4 * 4 + 1
    with rasa.session_scope() as session:   # erasure
        session.query(rasa.SQLEvent).filter(rasa.SQLEvent.sender_id == "c1").delete()
        session.commit()
    out["erased"] = await ours.retrieve("c1") is None
    small = CachedSQLTrackerStore(domain=domain, dialect="sqlite", db=db, cache_size=2)
    for sender in ("a", "b", "c"):
        tracker = DialogueStateTracker(sender, domain.slots)
        tracker.update(ActionExecuted("action_listen"))
        await small.save(tracker)
        await small.retrieve(sender)
    out["bounded"] = sorted(small._kept)
    with ours.engine.connect() as connection:  # kept connections, WAL, no fsync per commit
        out["sqlite"] = [type(ours.engine.pool).__name__, connection.exec_driver_sql("PRAGMA journal_mode").scalar(),
                         connection.exec_driver_sql("PRAGMA synchronous").scalar()]
    print(json.dumps(out))

asyncio.run(main())
"""


def test_the_cached_tracker_store_reads_what_rasas_sql_store_reads():
    out = in_rasa_env(TRACKER_PROBE)
    assert out == {"kept": True, "same_after_two": True, "slot": "4", "sees_the_other_server": True,
                   "same_after_four": True, "no_row_twice": True, "erased": True, "bounded": ["b", "c"],
                   "sqlite": ["QueuePool", "wal", 1]}  # synchronous 1: NORMAL


ENDPOINTS_PROBE = """
import json, sys
sys.path.insert(0, "bot")
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import EndpointConfig
store = TrackerStore.create(EndpointConfig.from_dict(json.loads(sys.argv[1])), Domain.empty())
print(json.dumps({"store": type(store).__name__}))
"""


def test_the_endpoints_file_gives_rasa_the_cached_store_not_its_memory_fallback(tmp_path):
    from candor.rasa_endpoints import rasa_endpoints
    from candor.settings import Settings

    tracker_store = rasa_endpoints(Settings(var_dir=tmp_path, rasa_token="t"))["tracker_store"]
    assert in_rasa_env(ENDPOINTS_PROBE, json.dumps(tracker_store)) == {"store": "CachedSQLTrackerStore"}


SERIALIZE_PROBE = """
import asyncio, json, sys
sys.path.insert(0, "bot")
from rasa_server import serialize_action_calls_with_ujson
from rasa.utils.endpoints import EndpointConfig
serialize_action_calls_with_ujson()
tracker = {"sender_id": "c1", "latest_message": {"text": "£60 for the router/hub? «ok»", "intent": {
           "name": "ask_cost", "confidence": 0.9876543210123456}}, "events": [{"event": "slot", "value": None,
           "timestamp": 1764600000.123456}], "big": 2 ** 70}
async def main():
    endpoint = EndpointConfig("http://127.0.0.1:9/webhook", headers={"X-Probe": "1"},
                              basic_auth={"username": "u", "password": "p"})
    async with endpoint.session() as session:
        written = session.json_serialize(tracker)
        small = session.json_serialize({k: v for k, v in tracker.items() if k != "big"})
        return {"same": json.loads(written) == tracker, "small_same": json.loads(small) == {
                    k: v for k, v in tracker.items() if k != "big"},
                "ujson": "router\\\\/hub" in small,  # ujson escapes "/", json.dumps does not
                "header": session.headers.get("X-Probe"), "auth": session.auth is not None,
                "timeout": session.timeout.total}

async def calls():  # two action calls to a real server: one session, one kept connection
    from aiohttp import web
    async def handler(request):
        return web.json_response({"port": request.transport.get_extra_info("peername")[1]})
    app = web.Application()
    app.router.add_post("/webhook", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
    first, second = await endpoint.request(json={"n": 1}), await endpoint.request(json={"n": 2})
    async with endpoint.session() as a, endpoint.session() as b:
        kept = a is b and not a.closed
    await runner.cleanup()
    return {"one_connection": first["port"] == second["port"], "kept": kept}

print(json.dumps({**asyncio.run(main()), **asyncio.run(calls())}))
"""


def test_action_calls_are_written_with_ujson_over_one_kept_connection():
    out = in_rasa_env(SERIALIZE_PROBE)
    assert out == {"same": True, "small_same": True, "ujson": True, "header": "1", "auth": True, "timeout": 300,
                   "one_connection": True, "kept": True}
