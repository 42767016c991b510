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


def test_the_reused_validator_judges_as_rasa_does():
    settings = get_settings()
    result = subprocess.run([str(settings.rasa_venv / "bin" / "python"), "-c", PROBE], cwd=settings.root,
                            capture_output=True, text=True, timeout=300, env=rasa_env())
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["good"] is True and out["ours"] is True
    for name in ("responses", "event"):
        assert "Failed to validate Action server response" in out[name], out
