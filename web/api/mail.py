"""E-mail in the web app: "e-mail me this conversation" for customers, the outbox for admins
(what failed, resend it), and the loop that sends the queued mails (conversations.smtp)."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from candor.db import session_scope, utcnow
from candor.settings import Settings
from conversations import mail, outbox, smtp
from conversations.turn import ChatService
from routing.staff import User
from touchpoints.models import Conversation
from web.api.conversations import chat_service, customer_conversation
from web.api.follow_ups import EmailAddress, MailState, mail_state
from web.api.staff import RowId, require
from web.rate_limits import per_ip

logger = logging.getLogger(__name__)
customer_router = APIRouter(prefix="/api/conversations", tags=["customer"])
admin_router = APIRouter(prefix="/api/outbox", tags=["admin"])
Admin = Annotated[User, Depends(require("admin"))]
SEND_EVERY_S = 5.0


class TranscriptQueued(BaseModel):
    id: int
    status: str = Field(description="queued: it goes out within seconds (or is held while mail is not configured)")
    message: str


class OutboxMail(MailState):
    to_address: str
    subject: str
    conversation_id: str | None
    follow_up_id: int | None


def _outbox_mail(row: outbox.OutboundMail) -> OutboxMail:
    return OutboxMail(**mail_state(row).model_dump(), to_address=row.to_address, subject=row.subject,
                      conversation_id=row.conversation_id, follow_up_id=row.follow_up_id)


@customer_router.post("/{conversation_id}/email-transcript", status_code=202, dependencies=[Depends(per_ip)])
def email_transcript(
    request: Request,
    body: EmailAddress,
    conversation: Annotated[Conversation, Depends(customer_conversation)],
    chat: Annotated[ChatService, Depends(chat_service)],
) -> TranscriptQueued:
    """Mail the whole conversation (masked as stored) to the address given; a few times at most."""
    request.app.state.rate_limits.hit("conversation", conversation.id)
    try:
        with session_scope() as session:
            queued = mail.email_transcript(session, conversation.id, body.email, chat.redact_kinds)
            mail_id = queued.id
    except mail.TooManyMails as error:
        raise HTTPException(429, f"{error} Copy the text from the chat instead.") from error
    return TranscriptQueued(id=mail_id, status="queued",
                            message=f"We'll e-mail this conversation to {body.email} in a moment.")


@admin_router.get("")
def list_outbox(
    user: Admin, status: Annotated[Literal["queued", "sent", "failed"] | None, Query()] = None
) -> list[OutboxMail]:
    """The newest 200 e-mails (of one status when given), with why each last failed."""
    with session_scope() as session:
        return [_outbox_mail(row) for row in outbox.listing(session, status)]


@admin_router.post("/{mail_id}/retry")
def retry(mail_id: RowId, user: Admin) -> OutboxMail:
    """Send a failed or waiting e-mail again now (after fixing the relay or the settings)."""
    with session_scope() as session:
        row = outbox.retry(session, mail_id, utcnow())
        if row is None:
            raise HTTPException(404, f"No e-mail {mail_id} in the outbox.")
        if row.status == "sent":
            raise HTTPException(409, f"E-mail {mail_id} was already sent; nothing to retry.")
        return _outbox_mail(row)


async def send_queued_mail(settings: Settings, every_s: float | None = None) -> None:
    """The web app's sender: every few seconds, what is due. Safe in every worker at once (claims
    are atomic); with no SMTP host it sends nothing and /healthz reports the mails held."""
    config, every_s = smtp.SmtpConfig.from_settings(settings), every_s or SEND_EVERY_S
    if config is None:
        logger.warning("No CANDOR_SMTP_HOST: e-mails are queued in the database but not sent")
        return
    while True:
        await asyncio.sleep(every_s)
        try:
            await run_in_threadpool(smtp.deliver_due, config, utcnow())
        except Exception:  # the database may be away; the mails stay queued for the next round
            logger.exception("Sending queued e-mail failed; retrying in %.0f s", every_s)
