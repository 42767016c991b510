"""bot/rasa_server.py: Rasa's action-response check, with its schema checked once, still accepts
what Rasa accepts and rejects what it rejects, with Rasa's own error (run in the Rasa environment)."""

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


def in_rasa_env(probe: str) -> dict:
    """Run a probe with the Rasa environment's Python; its last printed line is JSON."""
    settings = get_settings()
    result = subprocess.run([str(settings.rasa_venv / "bin" / "python"), "-c", probe], cwd=settings.root,
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
