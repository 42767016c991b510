"""Sending the queued mails through SMTP (the standard library's smtplib, blocking: callers run
``deliver_due`` in a thread).

Each mail is claimed, sent and marked in separate steps, so no transaction stays open during the
SMTP exchange. If marking a sent mail fails (the database went away just then), its lease runs
out and it is sent again: delivery is at least once, never zero times.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid

from candor.db import session_scope
from candor.settings import Settings
from conversations import outbox
from conversations.outbox import OutboundMail

logger = logging.getLogger(__name__)
SMTP_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    sender: str
    tls: str
    username: str = ""
    password: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig | None:
        """None when no SMTP host is set: mail stays queued (held) until one is."""
        if not settings.smtp_host:
            return None
        return cls(settings.smtp_host, settings.smtp_port, settings.smtp_from, settings.smtp_tls,
                   settings.smtp_username, settings.smtp_password.get_secret_value())


def build(config: SmtpConfig, mail: OutboundMail) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = config.sender, mail.to_address, mail.subject
    message["Message-ID"] = make_msgid(f"mail{mail.id}", domain=config.sender.rpartition("@")[2] or None)
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


def send(config: SmtpConfig, mail: OutboundMail) -> None:
    """One SMTP session for one mail; raises what smtplib raises."""
    context = ssl.create_default_context()
    client = (smtplib.SMTP_SSL(config.host, config.port, timeout=SMTP_TIMEOUT_S, context=context)
              if config.tls == "tls" else smtplib.SMTP(config.host, config.port, timeout=SMTP_TIMEOUT_S))
    with client:
        if config.tls == "starttls":
            client.starttls(context=context)
        if config.username:
            client.login(config.username, config.password)
        client.send_message(build(config, mail))


def describe(error: Exception) -> tuple[str, bool]:
    """A line for staff, and whether trying again cannot help (the server refused the mail itself).

    An unreachable server, a 4xx, a refused login or sender address are retried: fixing the relay
    or the settings lets the queued mail through without anyone re-sending it."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        reply = "; ".join(f"{code} {_text(text)}" for code, text in error.recipients.values())
        return f"the server refused the address: {reply}", all(code >= 500 for code in codes)
    if isinstance(error, smtplib.SMTPDataError):
        return (f"the server refused the message: {error.smtp_code} {_text(error.smtp_error)}",
                error.smtp_code >= 500)
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return f"SMTP login refused ({error.smtp_code}); check CANDOR_SMTP_USERNAME/PASSWORD", False
    if isinstance(error, smtplib.SMTPResponseException):
        return f"SMTP error {error.smtp_code}: {_text(error.smtp_error)}", False
    return f"SMTP server unreachable or broke off ({error.__class__.__name__}: {error})", False


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else reply


def deliver_due(config: SmtpConfig | None, now: datetime, limit: int = 20) -> dict[str, int]:
    """Send what is due now (claimed atomically, so several workers may run this at once)."""
    counts = {"sent": 0, "retry": 0, "failed": 0}
    if config is None:
        return counts
    with session_scope() as session:
        due = outbox.due_ids(session, now, limit)
    for mail_id in due:
        with session_scope() as session:
            mail = outbox.claim(session, mail_id, now)
        if mail is None:
            continue  # another worker has it
        try:
            send(config, mail)
            error: tuple[str, bool] | None = None
        except Exception as failure:  # any failure keeps the mail; describe() says which kind
            error = describe(failure)
        with session_scope() as session:
            current = session.get_one(OutboundMail, mail_id)
            if error is None:
                outbox.mark_sent(session, current, now)
                counts["sent"] += 1
            else:
                outbox.mark_failed(session, current, now, *error)
                counts["failed" if current.status == "failed" else "retry"] += 1
                logger.warning("Mail %d (%s), attempt %d: %s", mail_id, current.kind, current.attempts, error[0])
    return counts
