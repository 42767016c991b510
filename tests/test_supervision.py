"""The supervisor's policy on real (tiny) processes: a death is restarted after a backoff, the
status file says so, and a process that keeps crashing fast makes it give up, naming it."""

import json
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit


@pytest.fixture
def stack(tmp_path):
    from candor.settings import Settings
    from candor.supervisor import Child, Stack

    said: list[str] = []
    stack = Stack(Settings(var_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'c.db'}"), Path("model.tar.gz"),
                  echo=said.append)
    sleeper = [sys.executable, "-c", "import time; print('sleeping', flush=True); time.sleep(120)"]
    stack.children = [Child("actions", sleeper, "http://127.0.0.1:9/health", tmp_path / "actions.log"),
                      Child("web", sleeper, "http://127.0.0.1:9/healthz", tmp_path / "web.log")]
    for child in stack.children:
        stack._spawn(child)
    stack.said = said
    yield stack
    stack.stop()


def test_a_dead_process_is_restarted_after_a_backoff_while_the_others_keep_running(stack):
    from candor.supervisor import RESTART_DELAYS

    actions, web = stack.children
    first_pid, web_pid = actions.process.pid, web.process.pid
    stack.kill("actions")
    stack.supervise(now=100.0)
    assert actions.state == "restarting" and actions.process.pid == first_pid
    assert any("actions exited with code -9; restarting it in 1s" in line for line in stack.said)
    status = json.loads(stack.status_path.read_text())["processes"]
    assert status["actions"]["state"] == "restarting" and status["actions"]["last_exit_code"] == -9
    assert status["web"]["state"] == "running"

    stack.supervise(now=100.0 + RESTART_DELAYS[0] - 0.1)
    assert actions.state == "restarting"  # not before its delay
    stack.supervise(now=100.0 + RESTART_DELAYS[0])
    assert actions.state == "running" and actions.process.pid != first_pid and actions.process.poll() is None
    assert actions.restarts == 1 and web.process.pid == web_pid and web.restarts == 0
    assert json.loads(stack.status_path.read_text())["processes"]["actions"]["restarts"] == 1


def test_the_backoff_grows_and_a_crash_loop_gives_up_naming_the_process(stack):
    from candor.supervisor import CRASH_WINDOW_S, GIVE_UP_AFTER, RESTART_DELAYS, StackError

    actions = stack.children[0]
    now = 0.0
    for crash in range(GIVE_UP_AFTER - 1):
        stack.kill("actions")
        stack.supervise(now=now)
        assert actions.restart_at == now + RESTART_DELAYS[crash]
        now = actions.restart_at
        stack.supervise(now=now)  # restarted
    stack.kill("actions")
    loop = rf"actions crashed {GIVE_UP_AFTER} times in {CRASH_WINDOW_S:.0f}s"
    with pytest.raises(StackError, match=loop) as error:
        stack.supervise(now=now)
    assert "last lines of" in str(error.value)  # and its log, to say why


def test_a_process_that_stayed_up_starts_its_backoff_afresh(stack):
    from candor.supervisor import CRASH_WINDOW_S, RESTART_DELAYS

    actions = stack.children[0]
    stack.kill("actions")
    stack.supervise(now=0.0)
    stack.supervise(now=RESTART_DELAYS[0])
    stack.kill("actions")
    later = RESTART_DELAYS[0] + CRASH_WINDOW_S + 1
    stack.supervise(now=later)
    assert actions.restart_at == later + RESTART_DELAYS[0]


def test_stopping_removes_the_status_file(stack):
    stack.write_status()
    stack.stop()
    assert not stack.status_path.exists()


def test_the_soak_kills_processes_and_the_supervisor_brings_them_back(stack):
    import time

    from candor.load_chaos import Chaos

    chaos = Chaos(stack, every_s=0.3, names=["actions"], echo=stack.said.append)
    with chaos:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and stack.children[0].restarts < 1:
            time.sleep(0.1)
    actions = stack.children[0]
    assert chaos.kills and actions.restarts >= 1 and chaos.failure is None
    assert "soak: killed actions x" in chaos.note() and "restarts: actions" in chaos.note()
