"""Production mode for real: PostgreSQL, Redis, two Rasa replicas and two web workers."""

import secrets
import threading
import time
import uuid

import httpx
import psycopg
import pytest
from conftest import Customer, always_open_policy, running_stack

from candor.ports import free_port, free_port_pair

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

KB_QUESTION = "how much does installation cost?"


@pytest.fixture(scope="module")
def production(rasa_model, tmp_path_factory):
    from candor.settings import Settings

    admin = psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True)
    name = f"candor_prod_{secrets.token_hex(4)}"
    admin.execute(f"CREATE DATABASE {name}")
    var = tmp_path_factory.mktemp("production")
    settings = Settings(
        env="production", var_dir=var, policy_file=always_open_policy(var),
        database_url=f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}",
        redis_url=f"redis://127.0.0.1:6379/{secrets.randbelow(15) + 1}",
        rasa_token=secrets.token_urlsafe(24), secret_key=secrets.token_urlsafe(32),
        rasa_replicas=2, web_workers=2,
        rasa_port=free_port_pair(), actions_port=free_port(), web_port=free_port(),
        rate_limit_ip="100000/minute", rate_limit_conversation="100000/minute",
        live_fallback_s=60,  # so a live view that shows a change in seconds was woken, not polling
    )
    try:
        with running_stack(settings, rasa_model, timeout_s=400) as stack:
            yield stack
    finally:
        from candor.db import get_engine

        get_engine(settings.database_url).dispose()
        for db in (name, f"{name}_rasa"):
            admin.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        admin.close()


def test_production_stack_answers_spreads_and_survives_a_replica(production):
    settings = production.settings
    with httpx.Client(base_url=settings.web_url, timeout=30) as client:
        health = client.get("/healthz").json()
        assert health["status"] == "ok", health
        assert len(health["components"]["rasa"]["replicas"]) == 2 and health["components"]["redis"]["ok"]

        from web.rasa_client import RasaClient

        homes = RasaClient(settings.rasa_urls, settings.rasa_token)
        customers = [Customer(client) for _ in range(6)]
        assert {homes.replicas_for(c.id)[0] for c in customers} == set(settings.rasa_urls)
        for customer in customers:
            assert customer.say(KB_QUESTION)["messages"][0]["sources"]

        # Rasa's trackers are in PostgreSQL, in a database of their own beside the app's.
        tracker_db = settings.rasa_tracker_url.replace("postgresql+psycopg", "postgresql")
        with psycopg.connect(tracker_db) as tracker:
            senders = {row[0] for row in tracker.execute("SELECT DISTINCT sender_id FROM events")}
        assert {c.id for c in customers} <= senders

        # One replica dies: its conversations move to the other, which knows their history.
        production.kill("rasa-1")
        try:
            for customer in customers:
                reply = customer.say("and is there a contract?")  # asserts 200
                assert reply["status"] == "bot" and reply["messages"], reply
            degraded = client.get("/healthz")
            assert degraded.status_code == 503
            assert degraded.json()["components"]["rasa"]["detail"] == "1 of 2 Rasa replicas not answering"
        finally:
            production.restart("rasa-1")


def test_production_workers_process_a_repeated_message_once(production):
    # Two uvicorn workers behind one port: repeats land on either and are still processed once.
    with httpx.Client(base_url=production.settings.web_url, timeout=30) as client:
        customer = Customer(client)
        keyed = {**customer.headers, "Idempotency-Key": str(uuid.uuid4())}
        replies = [client.post(f"/api/conversations/{customer.id}/messages", json={"text": KB_QUESTION},
                               headers=keyed) for _ in range(4)]
        assert [r.status_code for r in replies] == [200] * 4
        assert all(r.json() == replies[0].json() for r in replies)
        transcript = customer.transcript()["messages"]
        assert [m["text"] for m in transcript if m["sender"] == "customer"] == [KB_QUESTION]


def test_a_reply_through_one_worker_reaches_streams_on_every_worker(production):
    from candor.db import session_scope
    from routing.staff import add_user

    settings = production.settings
    name = f"ana-{secrets.token_hex(3)}"
    with session_scope(settings.database_url) as session:
        add_user(session, name, "correct horse battery", "agent", [])
    with httpx.Client(base_url=settings.web_url, timeout=30) as client:
        token = client.post("/api/auth/login", json={"username": name, "password": "correct horse battery"})
        agent = {"Authorization": f"Bearer {token.json()['token']}"}
        customer = Customer(client)
        assert customer.say("I need to talk to a real person")["status"] == "queued"
        [escalation] = [e for e in client.get("/api/escalations", headers=agent).json()
                        if e["conversation_id"] == customer.id]

        # Six streams on one port: the kernel spreads their connections over both workers, so
        # whichever worker takes the reply, some streams wait in the other one.
        arrived: dict[int, float] = {}
        ready = threading.Barrier(7)

        def stream(n: int) -> None:
            with httpx.Client(base_url=settings.web_url, timeout=90) as own, \
                    own.stream("GET", f"/api/conversations/{customer.id}/events", headers=customer.headers) as events:
                lines = events.iter_lines()
                next(line for line in lines if line.startswith("event: status"))
                ready.wait(30)
                for line in lines:
                    if line.startswith("data:") and "I can see your order" in line:
                        arrived[n] = time.monotonic()
                        return

        readers = [threading.Thread(target=stream, args=(n,), daemon=True) for n in range(6)]
        for reader in readers:
            reader.start()
        ready.wait(30)
        time.sleep(0.5)  # every stream has read and is now waiting
        assert client.post(f"/api/escalations/{escalation['id']}/claim", headers=agent).status_code == 200
        sent = time.monotonic()
        reply = client.post(f"/api/escalations/{escalation['id']}/messages", json={"text": "Hi, I can see your order."},
                            headers=agent)
        assert reply.status_code == 200
        for reader in readers:
            reader.join(20)
    late = {n: round(at - sent, 1) for n, at in arrived.items() if at - sent > 5}
    assert len(arrived) == 6 and not late, f"arrived: {len(arrived)} of 6; late (s): {late}"


def test_the_supervisor_brings_back_a_killed_replica_and_uvicorn_a_killed_worker(production):
    """The watch loop of `candor up --production`, run beside the test: nobody restarts by hand."""
    import os
    import signal

    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.5):
            production.supervise()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    settings = production.settings
    try:
        with httpx.Client(base_url=settings.web_url, timeout=30) as client:
            customers = [Customer(client) for _ in range(4)]
            replica = production.child("rasa-2")
            os.killpg(replica.process.pid, signal.SIGKILL)
            for customer in customers:  # the other replica answers meanwhile, or the turn is queued with a notice
                assert customer.say(KB_QUESTION)["messages"], customer.id
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline and client.get("/readyz").status_code != 200:
                time.sleep(1)
            health = client.get("/healthz").json()
            assert health["status"] == "ok" and health["processes"]["rasa-2"]["restarts"] == 1, health

            fresh = [Customer(client) for _ in range(4)]  # created before a worker dies
            workers = _web_workers(production)
            assert len(workers) == 2
            os.kill(workers[0].pid, signal.SIGKILL)
            # The other worker serves; nothing acknowledged is lost. Fresh customers, so a conversation
            # queued while its replica was down (a reset rather than a refusal is not failed over:
            # it may have reached the replica) does not stand in for a worker problem.
            for customer in fresh:
                # A kept-alive connection to the dead worker is reset: like the widget, retry with the
                # same Idempotency-Key, so the message is stored once whichever attempt got through.
                keyed = {**customer.headers, "Idempotency-Key": str(uuid.uuid4())}
                for attempt in range(3):
                    try:
                        reply = client.post(f"/api/conversations/{customer.id}/messages",
                                            json={"text": "and is there a contract?"}, headers=keyed)
                        break
                    except httpx.TransportError:
                        if attempt == 2:
                            raise
                assert reply.status_code == 200 and reply.json()["status"] == "bot"
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and len(_web_workers(production)) < 2:
                time.sleep(0.5)
            replaced = [w.pid for w in _web_workers(production)]
            assert len(replaced) == 2 and workers[0].pid not in replaced
            for customer in customers:  # answered by the other replica or queued: stored either way
                said = [m["text"] for m in customer.transcript()["messages"] if m["sender"] == "customer"]
                assert said == [KB_QUESTION]
            for customer in fresh:
                said = [m["text"] for m in customer.transcript()["messages"] if m["sender"] == "customer"]
                assert said == ["and is there a contract?"]
    finally:
        stop.set()
        watcher.join(timeout=10)


def _web_workers(stack) -> list:
    """uvicorn's worker processes (its other child is multiprocessing's resource tracker)."""
    import psutil

    from candor.load_chaos import web_workers

    return [psutil.Process(pid) for pid in web_workers(stack.child("web").process.pid)]
