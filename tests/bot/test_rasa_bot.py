"""The Rasa training data validates cleanly and the test stories pass on the trained model."""

import re
import subprocess

import pytest

from candor.settings import get_settings
from candor.training import rasa_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def rasa(*args: str, cwd) -> subprocess.CompletedProcess:
    binary = get_settings().rasa_venv / "bin" / "rasa"
    return subprocess.run([str(binary), *args], cwd=cwd, capture_output=True, text=True, timeout=900,
                          env=rasa_env())


def test_training_data_validates_without_warnings():
    root = get_settings().root
    result = rasa("data", "validate", "--domain", "domain.yml", "--data", "bot/data", "--config",
                  "config.yml", "--fail-on-warnings", cwd=root)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    warnings = [line for line in (result.stdout + result.stderr).splitlines() if "UserWarning" in line]
    # Rasa 3.6 counts a form's utter_ask_<slot> responses, and the small-talk responses the answer
    # action utters by name, as "unused"; every other warning is a real problem.
    from actions.answer import SMALLTALK

    uttered = {name for names in SMALLTALK.values() for name in names}
    unused = [re.search(r"The utterance '(\w+)' is not used", w) for w in warnings]
    real = [w for w, m in zip(warnings, unused, strict=True)
            if not (m and (m.group(1).startswith("utter_ask_fit_") or m.group(1) in uttered))]
    assert real == []


def test_test_stories_pass(rasa_model, tmp_path):
    root = get_settings().root
    result = rasa("test", "core", "--stories", "tests/bot/test_stories.yml", "--model", str(rasa_model),
                  "--out", str(tmp_path), "--fail-on-prediction-errors", cwd=root)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
