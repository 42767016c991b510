"""What causes an e-mail, each queued in the same transaction as its cause: a follow-up left by a
waiting customer (acknowledgement), "e-mail me this conversation", and an agent's reply to a
follow-up (also written into the transcript, so the conversation shows what was answered)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from conversations import mail_templates, outbox
from conversations.outbox import OutboundMail
from routing import service_level
from routing.models import FollowUp
from touchpoints import conversations, log
from touchpoints.models import Conversation, Message
from touchpoints.redaction import redact

# Anyone holding a conversation token could otherwise use it to mail any address, over and over.
MAX_TRANSCRIPT_MAILS = 3
_WHO = {"customer": "You", "bot": "Assistant", "agent": "Support agent", "system": "Note"}


class TooManyMails(RuntimeError):
    """The conversation has had its transcript sent as often as it may be."""


def leave_follow_up(session: Session, conversation_id: str, email: str, note: str = "") -> tuple[FollowUp, Message]:
    """The follow-up (routing.service_level), and the acknowledgement mailed to the address left."""
    follow_up, ack = service_level.leave_follow_up(session, conversation_id, email, note)
    rendered = mail_templates.follow_up_acknowledgement(follow_up.id, follow_up.note)
    outbox.enqueue(session, email, rendered.subject, rendered.text, rendered.html, "follow_up_ack",
                   conversation_id=conversation_id, follow_up_id=follow_up.id)
    return follow_up, ack


def email_transcript(session: Session, conversation_id: str, email: str, redact_kinds: Iterable[str]) -> OutboundMail:
    """Queue the whole transcript to the customer; messages are masked again on the way out
    (bot and agent texts are stored as written and may quote what the customer typed)."""
    sent_before = session.scalar(select(func.count()).where(
        OutboundMail.conversation_id == conversation_id, OutboundMail.kind == "transcript")) or 0
    if sent_before >= MAX_TRANSCRIPT_MAILS:
        raise TooManyMails(f"This conversation has been e-mailed {sent_before} times already, the most we send.")
    kinds = tuple(redact_kinds)
    lines = []
    for message in conversations.transcript(session, conversation_id):
        who = _WHO.get(message.sender, message.sender)
        if message.sender == "agent" and (message.payload or {}).get("agent"):
            who = f"{who} {message.payload['agent']}"
        lines.append((who, message.created_at, redact(message.text, kinds)))
    started = session.get_one(Conversation, conversation_id).created_at
    rendered = mail_templates.transcript(lines, started)
    mail = outbox.enqueue(session, email, rendered.subject, rendered.text, rendered.html, "transcript",
                          conversation_id=conversation_id)
    log.record(session, conversation_id, "transcript_emailed", mail_id=mail.id)
    return mail


def reply_to_follow_up(session: Session, follow_up: FollowUp, agent: str, text: str) -> tuple[Message, OutboundMail]:
    """An agent answers a follow-up: mailed to the address left, and kept in the transcript."""
    message = conversations.append(session, follow_up.conversation_id, "agent", text,
                                   {"agent": agent, "via": "email", "follow_up_id": follow_up.id})
    rendered = mail_templates.follow_up_reply(follow_up.id, agent, text)
    mail = outbox.enqueue(session, follow_up.email, rendered.subject, rendered.text, rendered.html,
                          "follow_up_reply", conversation_id=follow_up.conversation_id, follow_up_id=follow_up.id)
    log.record(session, follow_up.conversation_id, "follow_up_reply", follow_up_id=follow_up.id, by=agent,
               mail_id=mail.id)
    return message, mail
