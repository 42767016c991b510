"""The database briefly unavailable: 503 with a retry hint, never a silent 200, and after it
comes back nothing acknowledged is missing or duplicated.

A real web app process talks to the PostgreSQL service through a TCP proxy the test cuts and
restores, which is what a network blip or a database restart looks like to it.
"""

import os
import socket
import subprocess
import sys
import threading
import time
import uuid

import httpx
import pytest

from candor.ports import free_port

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


class TcpProxy:
    """Forwards loopback connections to PostgreSQL until cut; while cut, refuses them."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.down = False
        self._open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            client, _ = self.server.accept()
            if self.down:
                client.close()
                continue
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            self._open += [client, upstream]
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, target):
                try:
                    end.close()
                except OSError:
                    pass

    def cut(self) -> None:
        self.down = True
        for connection in self._open:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._open.clear()

    def restore(self) -> None:
        self.down = False


@pytest.fixture(scope="module")
def web_behind_proxy(postgres_url, tmp_path_factory):
    proxy = TcpProxy(5432)
    port = free_port()
    env = {**os.environ, "DATABASE_URL": postgres_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}"),
           "CANDOR_VAR_DIR": str(tmp_path_factory.mktemp("outage")), "CANDOR_RASA_PORT": "9",
           "CANDOR_ACTIONS_PORT": "9", "CANDOR_RASA_TOKEN": "t"}
    web = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "web.app:app_factory",
                            "--host", "127.0.0.1", "--port", str(port)], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/healthz", timeout=2)
            break
        except httpx.HTTPError:
            time.sleep(0.3)
    try:
        yield url, proxy
    finally:
        web.terminate()
        web.wait(10)


def test_an_outage_answers_503_and_loses_or_doubles_nothing(web_behind_proxy):
    url, proxy = web_behind_proxy
    with httpx.Client(base_url=url, timeout=30) as client:
        created = client.post("/api/conversations").json()
        messages = f"/api/conversations/{created['id']}/messages"
        headers = {"Authorization": f"Bearer {created['token']}"}
        keys = [str(uuid.uuid4()) for _ in range(5)]

        def send(n):
            return client.post(messages, json={"text": f"message {n}"}, headers={**headers, "Idempotency-Key": keys[n]})

        assert [send(n).status_code for n in range(3)] == [200, 200, 200]

        proxy.cut()
        try:
            refused = send(3)
            assert refused.status_code == 503, refused.text
            assert refused.headers["Retry-After"] == "5" and "Retry" in refused.json()["detail"]
            assert client.post("/api/conversations").status_code == 503
            health = client.get("/healthz")
            assert health.status_code == 503 and not health.json()["components"]["database"]["ok"]
        finally:
            proxy.restore()

        # The customer's widget retries with the same key; a lost answer is retried too.
        assert send(3).status_code == 200
        assert send(4).status_code == 200
        repeat = send(2)
        assert repeat.status_code == 200 and repeat.headers["Idempotent-Replayed"] == "true"

        transcript = client.get(f"/api/conversations/{created['id']}", headers=headers).json()["messages"]
        assert [m["text"] for m in transcript if m["sender"] == "customer"] == [f"message {n}" for n in range(5)]
