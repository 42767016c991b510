"""/healthz answers 503 and names the component when Rasa and the action server are down."""

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.unit


def test_health_is_503_when_rasa_and_actions_are_down(database):
    from candor.settings import Settings
    from web.app import create_app

    # Port 9 (discard) has no listener on this machine: both services are "down".
    app = create_app(Settings(rasa_port=9, actions_port=9, rasa_token="t"))
    response = TestClient(app).get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["components"]["database"]["ok"] and body["components"]["web"]["ok"]
    assert not body["components"]["rasa"]["ok"] and "not answering" in body["components"]["rasa"]["detail"]
    assert not body["components"]["actions"]["ok"]
