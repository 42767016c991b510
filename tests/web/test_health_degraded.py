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
