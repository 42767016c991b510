"""Child processes get every setting: the environment the supervisor builds reads back field by field."""

import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

CUSTOM = {
    "env": "staging", "var_dir": Path("/srv/candor/var"), "models_dir": Path("/srv/models"),
    "cache_dir": Path("/srv/cache"), "database_url": "sqlite:////srv/candor/var/c.db", "host": "127.0.0.2",
    "web_port": 8100, "rasa_port": 5105, "actions_port": 5155, "rasa_token": "t0k-en", "secret_key": "s3cret",
    "widget_origins": ["https://www.example.com", "https://shop.example.com"], "rasa_replicas": 3,
    "web_workers": 2, "compute_threads": 2, "rasa_venv": Path("/srv/venv-rasa"), "rasa_timeout_s": 12.5,
    "embedding_model": "all-MiniLM-L6-v2", "calibration_file": Path("/srv/cal.yml"),
    "sample_kb": Path("/srv/kb.jsonl"), "policy_file": Path("/srv/policy.yml"), "redact": ["email"],
    "retention_days": 30, "rate_limit_ip": "5/second", "rate_limit_conversation": "7/minute",
    "rate_limit_login": "3/hour", "redis_url": "redis://127.0.0.1:6379/2", "live_fallback_s": 2.5,
    "root": Path("/srv/candor"),
    "smtp_host": "mail.example.com", "smtp_port": 465, "smtp_from": "help@example.com", "smtp_tls": "tls",
    "smtp_username": "candor", "smtp_password": "pa55 w0rd", "identity_secret": "s1gn \"ids\" here",
}


def test_every_setting_reaches_a_child_process_unchanged(monkeypatch):
    from candor.settings import Settings
    from candor.supervisor import child_env

    assert set(CUSTOM) == set(Settings.model_fields), "a new setting: add a custom value here"
    original = Settings(**CUSTOM)
    env = child_env(original)
    for variable in [v for v in list(os.environ) if v.startswith("CANDOR_") or v == "DATABASE_URL"]:
        monkeypatch.delenv(variable)
    for variable, value in env.items():
        if variable.startswith("CANDOR_") or variable == "DATABASE_URL":
            monkeypatch.setenv(variable, value)
    child = Settings()
    for name in Settings.model_fields:
        assert getattr(child, name) == getattr(original, name), name


def test_an_unset_optional_is_left_out():
    from candor.settings import Settings

    assert "CANDOR_RETENTION_DAYS" not in Settings(retention_days=None).as_environment()
