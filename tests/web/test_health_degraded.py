"""/healthz answers 503 and names the component when Rasa and the action server are down."""

import pytest
from web_helpers import offline_client

pytestmark = pytest.mark.unit


def test_health_is_503_when_rasa_and_actions_are_down(database):
    response = offline_client().get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["components"]["database"]["ok"] and body["components"]["web"]["ok"]
    assert not body["components"]["rasa"]["ok"] and "not answering" in body["components"]["rasa"]["detail"]
    assert not body["components"]["actions"]["ok"]


def test_not_ready_while_rasa_and_actions_are_down_and_says_what_is_missing(database):
    response = offline_client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["ready"] is False
    assert body["components"]["database"]["ok"]  # migrated: the test database is at head
    assert not body["components"]["rasa"]["ok"] and not body["components"]["actions"]["ok"]
    assert "http" not in response.text and "127.0.0.1" not in response.text


def test_the_public_health_body_names_no_internal_address(database):
    response = offline_client(rasa_replicas=2).get("/healthz")
    assert "127.0.0.1" not in response.text and ":9" not in response.text and "http" not in response.text
    replicas = response.json()["components"]["rasa"]["replicas"]
    assert [(r["name"], r["ok"], r["detail"]) for r in replicas] == [
        ("rasa-1", False, "Rasa server not answering (ConnectError)"),
        ("rasa-2", False, "Rasa server not answering (ConnectError)")]



def _serve(routes: dict[str, dict], port: int = 0):
    """A stand-in HTTP server answering GET paths with JSON (a fake Rasa or action server: the
    readiness logic is what is tested here; the real processes are in test_supervisor.py)."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = routes.get(self.path.split("?")[0])
            self.send_response(200 if body is not None else 404)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps(body or {}).encode())

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_readiness_turns_true_only_once_the_model_is_loaded_and_the_action_server_answers(database):
    import socket

    from fastapi.testclient import TestClient

    from candor.settings import Settings
    from web.app import create_app

    rasa_status: dict = {"model_id": None}
    rasa, actions = _serve({"/status": rasa_status}), None
    with socket.socket() as probe:  # a free port where the slow action server will listen later
        probe.bind(("127.0.0.1", 0))
        actions_port = probe.getsockname()[1]
    client = TestClient(create_app(Settings(rasa_port=rasa.server_address[1], actions_port=actions_port,
                                            rasa_token="t")))
    try:
        first = client.get("/readyz").json()
        assert first["ready"] is False
        assert first["components"]["rasa"]["detail"] == "Rasa has no model loaded yet"
        assert not first["components"]["actions"]["ok"]

        rasa_status["model_id"] = "candor-abc"  # Rasa has loaded its model…
        waiting = client.get("/readyz")
        assert waiting.status_code == 503 and waiting.json()["components"]["rasa"]["ok"]  # …actions still warming

        actions = _serve({"/health": {"status": "ok"}}, actions_port)  # its port opens after the warm-up query
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["ready"] is True
    finally:
        for server in (rasa, actions):
            if server:
                server.shutdown()
