"""Production mode's configuration: what it refuses, and the Rasa endpoints it writes."""

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.unit

SECRETS = {"CANDOR_RASA_TOKEN": "a" * 24 + "token", "CANDOR_SECRET_KEY": "b" * 24 + "secret"}


def candor_up_production(tmp_path, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CANDOR_") and k != "DATABASE_URL"}
    clean.update(CANDOR_VAR_DIR=str(tmp_path), **env)
    return subprocess.run([sys.executable, "-m", "candor.cli", "up", "--production"], env=clean,
                          capture_output=True, text=True, timeout=120)


def test_production_refuses_default_secrets_sqlite_and_no_redis(tmp_path):
    run = candor_up_production(tmp_path)
    said = " ".join(run.stderr.split())
    assert run.returncode == 2
    assert "CANDOR_RASA_TOKEN and CANDOR_SECRET_KEY set to secrets of your own" in said
    assert "DATABASE_URL pointing at PostgreSQL" in said and "CANDOR_REDIS_URL pointing at Redis" in said


def test_production_refuses_unreachable_services(tmp_path):
    run = candor_up_production(tmp_path, DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:9/candor",
                               CANDOR_REDIS_URL="redis://127.0.0.1:9/0", **SECRETS)
    said = " ".join(run.stderr.split())
    assert run.returncode == 2
    assert "The database at postgresql+psycopg://postgres@127.0.0.1:9/candor does not answer" in said
    assert "Redis at redis://127.0.0.1:9/0 does not answer" in said
    assert not (tmp_path / "logs").exists()  # nothing was started


def test_production_endpoints_put_trackers_in_postgres_and_locks_in_redis(tmp_path):
    from candor.rasa_endpoints import TRACKER_STORE, rasa_endpoints, write_endpoints
    from candor.settings import Settings

    settings = Settings(env="production", var_dir=tmp_path, rasa_token=SECRETS["CANDOR_RASA_TOKEN"],
                        secret_key=SECRETS["CANDOR_SECRET_KEY"], redis_url="redis://:pw@10.0.0.5:6380/3",
                        database_url="postgresql+psycopg://candor:s3cret@db.internal:5433/candor")
    endpoints = rasa_endpoints(settings)
    assert endpoints["tracker_store"] == {
        "type": TRACKER_STORE, "dialect": "postgresql", "url": "db.internal", "port": 5433, "db": "candor_rasa",
        "username": "candor", "password": "s3cret", "login_db": "postgres"}
    assert endpoints["lock_store"] == {"type": "redis", "url": "10.0.0.5", "port": 6380, "db": 3, "password": "pw",
                                       "key_prefix": "candor"}
    assert endpoints["action_endpoint"]["token"] == settings.rasa_token
    path = write_endpoints(settings)
    assert path.stat().st_mode & 0o777 == 0o600  # it holds passwords


def test_embedded_endpoints_use_sqlite_and_no_lock_store(tmp_path):
    from candor.rasa_endpoints import TRACKER_STORE, rasa_endpoints
    from candor.settings import Settings

    endpoints = rasa_endpoints(Settings(var_dir=tmp_path, rasa_token="t"))
    assert endpoints["tracker_store"] == {"type": TRACKER_STORE, "dialect": "sqlite",
                                          "db": str(tmp_path / "rasa-tracker.db")}
    assert "lock_store" not in endpoints


def test_conversations_keep_their_home_replica_and_spread():
    from web.rasa_client import RasaClient

    client = RasaClient(["http://a", "http://b"], "t")
    homes = [client.replicas_for(f"conversation-{n}")[0] for n in range(200)]
    assert homes == [client.replicas_for(f"conversation-{n}")[0] for n in range(200)]
    assert 60 <= homes.count("http://a") <= 140  # both replicas get a fair share
    assert set(client.replicas_for("x")) == {"http://a", "http://b"}  # the other is the fallback


def test_a_turn_goes_to_the_least_busy_replica_and_a_quiet_one_stays_home():
    from web.rasa_client import Balancer

    balancer = Balancer(2)
    home_a = next(f"c{n}" for n in range(100) if balancer.home_order(f"c{n}")[0] == 0)
    home_b = next(f"c{n}" for n in range(100) if balancer.home_order(f"c{n}")[0] == 1)
    with balancer.take(home_a, set()) as first:
        assert first == 0  # nothing in flight: its home
        with balancer.take(home_a, set()) as second:
            assert second == 1  # the home is busy, the other is idle
            with balancer.take(home_b, set()) as third:
                assert third == 1  # a tie (one each): home wins
            assert balancer.in_flight == [1, 1]
    assert balancer.in_flight == [0, 0]
    with balancer.take(home_a, {0}) as fallback:
        assert fallback == 1  # a replica that refused the connection is not tried again


def test_production_defaults_to_two_replicas_and_a_worker_per_two_cores_unless_told(monkeypatch):
    from candor.settings import Settings

    given = {"env": "production", "rasa_token": SECRETS["CANDOR_RASA_TOKEN"],
             "secret_key": SECRETS["CANDOR_SECRET_KEY"],
             "redis_url": "redis://127.0.0.1:6379/0", "database_url": "postgresql+psycopg://candor@db/candor"}
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    defaults = Settings(**given)
    assert (defaults.rasa_replicas, defaults.web_workers) == (2, 4)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert Settings(**given).web_workers == 1
    assert Settings(**{**given, "env": "development"}).rasa_replicas == 1
    monkeypatch.setenv("CANDOR_RASA_REPLICAS", "3")
    monkeypatch.setenv("CANDOR_WEB_WORKERS", "2")
    told = Settings(**given)
    assert (told.rasa_replicas, told.web_workers) == (3, 2)
