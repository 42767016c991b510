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


def test_a_crashed_child_is_reported_and_the_rest_are_stopped(rasa_model, tmp_path, port):
    process, _, output = start_up(tmp_path, port)
    pids = child_pids(output)
    os.killpg(pids["actions"], signal.SIGKILL)
    rest, _ = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "actions exited with code -9" in rest
    assert "last lines of" in rest
    assert not any(alive(pid) for pid in pids.values())
