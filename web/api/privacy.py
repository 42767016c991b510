"""Admin-only erasure of a customer's data (the API twin of `candor erase`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from candor.db import session_scope
from conversations.erasure import conversations_of, erase, scrub_files, tracker_url
from routing import audit
from routing.staff import User
from web.api.staff import require

router = APIRouter(prefix="/api/admin", tags=["admin"])


class Erase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer: str = Field(min_length=1, max_length=254, description="Conversation id, customer_id or e-mail")

    @field_validator("customer")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("customer is blank; give a conversation id, customer_id or e-mail address")
        return value


class Erased(BaseModel):
    conversations: int = Field(description="Conversations erased")
    deleted: dict[str, int] = Field(description="Rows deleted per table")


@router.post("/erase")
def erase_customer(body: Erase, request: Request, user: Annotated[User, Depends(require("admin"))]) -> Erased:
    with session_scope() as session:
        ids = conversations_of(session, body.customer)
        if not ids:
            raise HTTPException(404, f"No conversations found for {body.customer!r}; nothing erased.")
        counts = erase(session, ids, tracker_url(request.app.state.settings))
        audit.record(session, user.username, "customer.erased", f"{len(ids)} conversation(s)",
                     rows=sum(counts.values()))
    scrub_files(request.app.state.settings, ids)
    return Erased(conversations=len(ids), deleted=counts)
