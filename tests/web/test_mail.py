"""E-mail that is really sent: a real SMTP server (aiosmtpd) on loopback receives what the web app
queues, through the public API, on the real test database. Rasa is pointed at a closed port, so
customers queue for a person, which is when follow-ups happen.

The app under test is built without an SMTP host (its own sender loop stays off) and each test
drives ``smtp.deliver_due`` with the config and clock it needs; one test runs the loop itself."""

import email
import email.policy
import secrets
import socket
import ssl
import subprocess
import time
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_helpers import offline_client

from candor.db import session_scope, utcnow
from conversations import erasure, mail_templates, outbox, smtp
from conversations.outbox import OutboundMail
from routing import staff

pytestmark = pytest.mark.unit
PASSWORD = "correct horse battery"


class Inbox:
    """aiosmtpd handler: keeps every delivered message; refuses addresses starting with 'nobody'."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.logins: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def plain(port: int) -> smtp.SmtpConfig:
    return smtp.SmtpConfig("127.0.0.1", port, "help@candor.test", "none")


def address() -> str:
    return f"ana.{secrets.token_hex(4)}@example.com"


@pytest.fixture(scope="module")
def client(database):
    with offline_client(rate_limit_ip="100000/minute", rate_limit_conversation="100000/minute") as test_client:
        yield test_client


def login(client, role: str, teams: list[str]) -> dict[str, str]:
    name = f"mail-{role}-{secrets.token_hex(4)}"
    with session_scope() as session:
        staff.add_user(session, name, PASSWORD, role, teams)
    token = client.post("/api/auth/login", json={"username": name, "password": PASSWORD}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def queued_customer(client, text: str = "my bill is wrong") -> tuple[str, dict]:
    created = client.post("/api/conversations").json()
    headers = {"Authorization": f"Bearer {created['token']}"}
    reply = client.post(f"/api/conversations/{created['id']}/messages", json={"text": text}, headers=headers)
    assert reply.json()["status"] == "queued", reply.text
    return created["id"], headers


def mails_of(conversation_id: str) -> list[OutboundMail]:
    with session_scope() as session:
        return list(session.scalars(select(OutboundMail).where(OutboundMail.conversation_id == conversation_id)
                                    .order_by(OutboundMail.id)))


def deliver(config, now) -> dict[str, int]:
    """Everything due: the test database also holds other tests' mails, which go first."""
    return smtp.deliver_due(config, now, limit=100_000)


def parts(message) -> tuple[str, str]:
    return (message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content())


def test_a_follow_up_is_acknowledged_by_mail_to_the_address_left(client, smtp_server):
    inbox, port = smtp_server
    conversation_id, headers = queued_customer(client)
    to = address()
    left = client.post(f"/api/conversations/{conversation_id}/follow-up", headers=headers,
                       json={"email": to, "note": "Invoice 42 <b>twice</b>"})
    assert left.status_code == 201, left.text
    [queued] = left.json()["mails"]
    assert queued["kind"] == "follow_up_ack" and queued["status"] == "queued"

    assert deliver(plain(port), utcnow())["sent"] >= 1
    [delivered] = inbox.to(to)
    text, html = parts(delivered)
    follow_up_id = left.json()["id"]
    assert delivered["From"] == "help@candor.test" and f"#{follow_up_id}" in delivered["Subject"]
    assert "we'll reply to this address" in text and "Invoice 42 <b>twice</b>" in text
    assert "Invoice 42 &lt;b&gt;twice&lt;/b&gt;" in html and "<b>twice" not in html
    agent = login(client, "agent", ["general"])
    listed = {f["id"]: f for f in client.get("/api/follow-ups", headers=agent).json()}
    assert [m["status"] for m in listed[follow_up_id]["mails"]] == ["sent"]


def test_an_address_typed_while_waiting_gets_the_acknowledgement_too(client, smtp_server):
    inbox, port = smtp_server
    conversation_id, headers = queued_customer(client)
    to = address()
    client.post(f"/api/conversations/{conversation_id}/messages", json={"text": f"mail me at {to}"}, headers=headers)
    assert [m.kind for m in mails_of(conversation_id)] == ["follow_up_ack"]
    deliver(plain(port), utcnow())
    assert len(inbox.to(to)) == 1


def test_server_down_keeps_every_mail_and_sends_each_once_when_it_is_back(client):
    port = free_port()
    conversation_id, headers = queued_customer(client)
    addresses = [address() for _ in range(3)]
    for to in addresses:
        assert client.post(f"/api/conversations/{conversation_id}/email-transcript", headers=headers,
                           json={"email": to}).status_code == 202
    now = utcnow()
    assert deliver(plain(port), now)["retry"] >= 3        # nothing listens on the port
    rows = mails_of(conversation_id)
    assert {(r.status, r.attempts) for r in rows} == {("queued", 1)}
    assert all(r.next_attempt_at == now + timedelta(seconds=30) and "unreachable" in r.last_error for r in rows)
    with session_scope() as session:   # not retried before its backoff
        assert not set(outbox.due_ids(session, now + timedelta(seconds=29), 10_000)) & {r.id for r in rows}

    deliver(plain(port), now + timedelta(seconds=31))    # still down: the wait doubles
    assert {(r.attempts, r.next_attempt_at) for r in mails_of(conversation_id)} == {
        (2, now + timedelta(seconds=31 + 60))}

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        later = now + timedelta(seconds=92)
        deliver(plain(port), later)
        deliver(plain(port), later + timedelta(hours=2))   # a later round sends nothing twice
    finally:
        controller.stop()
    assert sorted(m["To"] for m in inbox.messages if m["To"] in addresses) == sorted(addresses)
    assert {(r.status, r.last_error) for r in mails_of(conversation_id)} == {("sent", None)}


def test_two_workers_sending_at_once_deliver_each_mail_exactly_once(client, smtp_server):
    from concurrent.futures import ThreadPoolExecutor

    inbox, port = smtp_server
    conversation_id, headers = queued_customer(client)
    with session_scope() as session:
        ids = [outbox.enqueue(session, address(), "s", "t", "<p>t</p>", "transcript", conversation_id).id
               for _ in range(8)]
    now = utcnow()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: deliver(plain(port), now), range(4)))
    with session_scope() as session:
        rows = [session.get_one(OutboundMail, i) for i in ids]
        assert {(r.status, r.attempts) for r in rows} == {("sent", 1)}
    assert sorted(m["To"] for m in inbox.messages if m["To"] in {r.to_address for r in rows}) == sorted(
        r.to_address for r in rows)


def test_a_refused_address_fails_visibly_and_an_admin_can_resend(client, smtp_server):
    inbox, port = smtp_server
    conversation_id, headers = queued_customer(client)
    client.post(f"/api/conversations/{conversation_id}/email-transcript", headers=headers,
                json={"email": "nobody@example.com"})
    deliver(plain(port), utcnow())
    [row] = mails_of(conversation_id)
    assert row.status == "failed" and "550" in row.last_error

    health = client.get("/healthz").json()["components"]["mail"]
    assert health["ok"] is False and health["failed"] >= 1 and "failed" in health["detail"]
    assert "nobody@example.com" not in str(health)     # public endpoint: counts only
    admin, agent = login(client, "admin", []), login(client, "agent", ["general"])
    assert client.get("/api/outbox?status=failed", headers=agent).status_code == 403
    failed = client.get("/api/outbox?status=failed", headers=admin).json()
    assert row.id in [m["id"] for m in failed]
    retried = client.post(f"/api/outbox/{row.id}/retry", headers=admin)
    assert retried.status_code == 200 and retried.json()["status"] == "queued"
    assert client.post("/api/outbox/2000000000/retry", headers=admin).status_code == 404


def test_an_agent_reply_is_mailed_escaped_and_kept_in_the_transcript(client, smtp_server):
    inbox, port = smtp_server
    conversation_id, headers = queued_customer(client)
    to = address()
    follow_up_id = client.post(f"/api/conversations/{conversation_id}/follow-up", headers=headers,
                               json={"email": to}).json()["id"]
    agent = login(client, "agent", ["general"])
    text = "Refund done.\n<script>alert('x')</script> & see you"
    replied = client.post(f"/api/follow-ups/{follow_up_id}/reply", headers=agent, json={"text": text})
    assert replied.status_code == 201, replied.text
    assert replied.json()["mail"]["kind"] == "follow_up_reply" and replied.json()["follow_up"]["status"] == "open"
    transcript = client.get(f"/api/conversations/{conversation_id}", headers=headers).json()["messages"]
    assert transcript[-1]["sender"] == "agent" and transcript[-1]["text"] == text

    deliver(plain(port), utcnow())
    [reply] = [m for m in inbox.to(to) if m["Subject"].startswith("Re:")]
    body, html = parts(reply)
    assert "<script>alert('x')</script> & see you" in body
    assert "<script" not in html and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; see you" in html
    other = login(client, "agent", ["billing"])
    assert client.post(f"/api/follow-ups/{follow_up_id}/reply", headers=other, json={"text": "hi"}).status_code == 404
    assert client.post(f"/api/follow-ups/{follow_up_id}/reply", headers=agent, json={"text": " "}).status_code == 422


def test_the_transcript_mail_is_the_masked_conversation_and_is_capped(client, smtp_server):
    inbox, port = smtp_server
    conversation_id, headers = queued_customer(client, "my card is 4111 1111 1111 1111, charged twice")
    to = address()
    bad = client.post(f"/api/conversations/{conversation_id}/email-transcript", headers=headers,
                      json={"email": "not an address"})
    assert bad.status_code == 422 and "e-mail address" in bad.json()["detail"]
    for _ in range(3):
        assert client.post(f"/api/conversations/{conversation_id}/email-transcript", headers=headers,
                           json={"email": to}).status_code == 202
    fourth = client.post(f"/api/conversations/{conversation_id}/email-transcript", headers=headers, json={"email": to})
    assert fourth.status_code == 429 and "3 times" in fourth.json()["detail"]
    deliver(plain(port), utcnow())
    text, html = parts(inbox.to(to)[0])
    assert "charged twice" in text and "4111" not in text and "4111" not in html
    assert "You," in text and "Assistant," in text


def test_erasing_a_conversation_erases_its_mails(client):
    conversation_id, headers = queued_customer(client)
    client.post(f"/api/conversations/{conversation_id}/follow-up", headers=headers, json={"email": address()})
    assert mails_of(conversation_id)
    with session_scope() as session:
        erasure.erase(session, [conversation_id])
    assert mails_of(conversation_id) == []


def test_mail_is_held_visibly_without_an_smtp_host(client):
    conversation_id, headers = queued_customer(client)
    client.post(f"/api/conversations/{conversation_id}/follow-up", headers=headers, json={"email": address()})
    health = client.get("/healthz").json()
    assert health["components"]["mail"]["enabled"] is False
    assert "held: no SMTP server is configured" in health["components"]["mail"]["detail"]
    assert deliver(None, utcnow()) == {"sent": 0, "retry": 0, "failed": 0}
    assert {m.status for m in mails_of(conversation_id)} == {"queued"}


def test_the_web_app_sends_on_its_own(database, smtp_server, monkeypatch):
    from candor.settings import Settings
    from web.api import mail
    from web.app import create_app

    inbox, port = smtp_server
    monkeypatch.setattr(mail, "SEND_EVERY_S", 0.2)
    settings = Settings(rasa_port=9, actions_port=9, rasa_token="t", smtp_host="127.0.0.1", smtp_port=port,
                        smtp_from="help@candor.test", smtp_tls="none")
    with TestClient(create_app(settings)) as own:
        conversation_id, headers = queued_customer(own)
        to = address()
        own.post(f"/api/conversations/{conversation_id}/follow-up", headers=headers, json={"email": to})
        deadline = time.monotonic() + 15
        while not inbox.to(to) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(inbox.to(to)) == 1
        assert own.get("/healthz").json()["components"]["mail"]["enabled"] is True


@pytest.mark.parametrize(("changes", "problem"), [
    ({"smtp_from": ""}, "CANDOR_SMTP_FROM"),
    ({"smtp_username": "candor"}, "set together"),
    ({"smtp_password": "pw", "smtp_username": "candor", "smtp_tls": "none"}, "never sent over an unencrypted"),
    ({"smtp_tls": "ssl"}, "smtp_tls"),
    ({"smtp_port": 0}, "smtp_port"),
])
def test_smtp_settings_that_cannot_work_are_refused(changes, problem):
    from pydantic import ValidationError

    from candor.settings import Settings

    base = {"smtp_host": "mail.example.com", "smtp_from": "help@example.com", "smtp_tls": "starttls"}
    with pytest.raises(ValidationError, match=problem):
        Settings(**{**base, **changes})
    Settings(**base)   # the base itself is fine
    # A password no generated token could contain by chance (a random one once held "pw").
    assert "hunter2!" not in repr(Settings(**base, smtp_username="u", smtp_password="hunter2!"))


@pytest.fixture
def tls_server(tmp_path, monkeypatch):
    """STARTTLS with a certificate the client trusts (SSL_CERT_FILE), AUTH required after it."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox = Inbox()

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"candor" and auth_data.password == b"s3cret-pass"
        if ok:
            inbox.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)   # handled=False: the server answers 535 itself

    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), tls_context=context,
                            require_starttls=True, auth_required=True, authenticator=authenticator)
    controller.start()
    yield inbox, controller.port
    controller.stop()


def test_starttls_and_login_deliver_and_a_wrong_password_is_retried(client, tls_server):
    inbox, port = tls_server
    conversation_id, headers = queued_customer(client)
    to = address()
    client.post(f"/api/conversations/{conversation_id}/email-transcript", headers=headers, json={"email": to})
    wrong = smtp.SmtpConfig("127.0.0.1", port, "help@candor.test", "starttls", "candor", "wrong")
    now = utcnow()
    deliver(wrong, now)
    [row] = mails_of(conversation_id)
    assert row.status == "queued" and "login refused" in row.last_error and not inbox.messages
    right = smtp.SmtpConfig("127.0.0.1", port, "help@candor.test", "starttls", "candor", "s3cret-pass")
    deliver(right, now + timedelta(minutes=1))
    assert len(inbox.to(to)) == 1 and inbox.logins == ["candor"]
    assert smtp.SmtpConfig("127.0.0.1", port, "h@x.test", "tls") != right   # "tls" is a different mode
    plain_to_tls = smtp.SmtpConfig("127.0.0.1", port, "help@candor.test", "tls", "candor", "s3cret-pass")
    with pytest.raises(ssl.SSLError):   # TLS from the first byte against a STARTTLS port: refused, not sent
        smtp.send(plain_to_tls, row)


def test_backoff_doubles_up_to_an_hour():
    assert [outbox.backoff(n).total_seconds() for n in (1, 2, 3, 8, 30)] == [30, 60, 120, 3600, 3600]


def test_templates_escape_every_word_in_html():
    rendered = mail_templates.follow_up_reply(7, "sam<b>", "<img src=x onerror=alert(1)>")
    assert "<img" not in rendered.html and "&lt;img src=x onerror=alert(1)&gt;" in rendered.html
    assert "sam&lt;b&gt;" in rendered.html and "<img src=x onerror=alert(1)>" in rendered.text
