"""`candor up` (what `make run` calls): healthy start, clean Ctrl-C, and a crash reported."""

import os
import re
import signal
import subprocess
import sys
import time

import httpx
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def start_up(tmp_path, free_port, **extra_env: str) -> tuple[subprocess.Popen, dict[str, int], str]:
    ports = {"web": free_port(), "rasa": free_port(), "actions": free_port()}
    env = {
        **os.environ,
        **extra_env,
        "CANDOR_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'candor.db'}",
        "CANDOR_WEB_PORT": str(ports["web"]),
        "CANDOR_RASA_PORT": str(ports["rasa"]),
        "CANDOR_ACTIONS_PORT": str(ports["actions"]),
        "COLUMNS": "200",
    }
    process = subprocess.Popen([sys.executable, "-m", "candor.cli", "up"], env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = []
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        output.append(line)
        if "Press Ctrl-C to stop" in line:
            return process, ports, "".join(output)
    process.kill()
    pytest.fail("candor up did not come up:\n" + "".join(output))


def child_pids(output: str) -> dict[str, int]:
    return {name: int(pid) for name, pid in re.findall(r"started (\w+) \(pid (\d+)\)", output)}


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "kill"])
def test_stopping_stops_every_process_cleanly(rasa_model, tmp_path, port, stop):
    # A generated token can start with "-" (token_urlsafe); Rasa's argument parser must still take it.
    process, ports, output = start_up(tmp_path, port, CANDOR_RASA_TOKEN="-starts-with-a-dash")
    assert f"http://127.0.0.1:{ports['web']}/healthz" in output
    assert "Loaded the sample knowledge base" in output
    assert httpx.get(f"http://127.0.0.1:{ports['web']}/healthz", timeout=10).status_code == 200
    process.send_signal(stop)
    rest, _ = process.communicate(timeout=60)
    assert process.returncode == 0, rest
    assert "Stopped." in rest
    assert not any(alive(pid) for pid in child_pids(output).values())


def _say(web: str, conversation: dict, text: str) -> dict:
    response = httpx.post(f"{web}/api/conversations/{conversation['id']}/messages", json={"text": text},
                          headers={"Authorization": f"Bearer {conversation['token']}"}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def _wait(check, timeout_s: float = 240, every_s: float = 1.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(every_s)
    pytest.fail("gave up waiting")


def test_a_killed_process_is_restarted_while_the_web_app_keeps_serving(rasa_model, tmp_path, port):
    process, ports, output = start_up(tmp_path, port)
    web = f"http://127.0.0.1:{ports['web']}"
    assert "ready: a customer's turn would be answered" in output
    assert httpx.get(f"{web}/readyz", timeout=10).json()["ready"] is True
    pids = child_pids(output)
    try:
        os.killpg(pids["actions"], signal.SIGKILL)
        # While the action server is away the customer is told so and offered a person.
        conversation = httpx.post(f"{web}/api/conversations", timeout=10).json()
        [apology] = _say(web, conversation, "how much is installation?")["messages"]
        assert "something went wrong" in apology["text"]
        assert [b["payload"] for b in apology["buttons"]] == ["/request_human"]
        # It comes back on its own, and /healthz says it was restarted.
        health = _wait(lambda: (h := httpx.get(f"{web}/healthz", timeout=10)).status_code == 200 and h.json())
        actions = health["processes"]["actions"]
        assert actions["restarts"] == 1 and actions["last_exit_code"] == -9 and actions["state"] == "running"
        assert actions["pid"] != pids["actions"]
        answer = _say(web, httpx.post(f"{web}/api/conversations", timeout=10).json(), "how much is installation?")
        assert answer["messages"][0]["sources"], answer
        # The web app itself is restarted too; nothing said before is lost.
        os.killpg(pids["web"], signal.SIGKILL)
        _wait(lambda: _up(f"{web}/readyz"))
        transcript = httpx.get(f"{web}/api/conversations/{conversation['id']}", timeout=10,
                               headers={"Authorization": f"Bearer {conversation['token']}"}).json()
        assert [m["text"] for m in transcript["messages"] if m["sender"] == "customer"] == [
            "how much is installation?"]
        assert process.poll() is None, "candor up kept running"
    finally:
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
    assert "actions exited with code -9; restarting it in 1s" in rest + output
    assert process.returncode == 0


def _up(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.HTTPError:
        return False
