"""Admins manage staff accounts (the page twin of `candor user add`) and read the audit log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from candor.db import session_scope
from routing import audit, staff
from routing.staff import MAX_CAPACITY, ROLES, StaffError, User
from web.api.staff import RowId, require
from web.schemas import UtcDatetime

router = APIRouter(tags=["admin"])
Admin = Annotated[User, Depends(require("admin"))]

Team = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_-]+$",
                            description="Lower-case letters, digits, _ or -, as in routing/policy.yml")]


def _words(value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise ValueError("must not be blank")
    return value.strip() if value is not None else None


class StaffNew(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9._@-]+$",
                          description="Letters, digits, . _ @ or -; no spaces")
    password: str = Field(min_length=1, max_length=200, description="At least 8 characters")
    role: str = Field(description="agent, editor or admin")
    teams: list[Team] = Field(default_factory=list, max_length=20)
    display_name: str | None = Field(default=None, max_length=80, description="What customers see, e.g. Sam")
    capacity: int = Field(default=staff.DEFAULT_CAPACITY, description=f"Conversations at once, 1–{MAX_CAPACITY}")

    _display = field_validator("display_name")(_words)


class StaffChange(BaseModel):
    """Only the fields given change."""

    model_config = ConfigDict(extra="forbid")
    role: str | None = None
    teams: list[Team] | None = Field(default=None, max_length=20)
    display_name: str | None = Field(default=None, max_length=80)
    capacity: int | None = None
    disabled: bool | None = None

    _display = field_validator("display_name")(_words)

    @model_validator(mode="after")
    def _no_nulls(self) -> StaffChange:
        # A display name may be cleared; the rest always has a value, so null is a mistake, not "keep".
        nulled = [f for f in ("role", "teams", "capacity", "disabled") if f in self.model_fields_set
                  and getattr(self, f) is None]
        if nulled:
            raise ValueError(f"{', '.join(nulled)} cannot be empty; leave a field out to keep it as it is")
        return self


class NewPassword(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: str = Field(min_length=1, max_length=200, description="At least 8 characters")


class StaffAccount(BaseModel):
    id: int
    username: str
    display_name: str | None
    shown_to_customers_as: str
    role: str
    teams: list[str]
    capacity: int
    disabled: bool
    created_at: UtcDatetime


class AuditOut(BaseModel):
    id: int
    at: UtcDatetime
    actor: str
    action: str
    action_words: str = Field(description="The action in words, for people")
    subject: str
    details: dict[str, Any]


def account(user: User) -> StaffAccount:
    return StaffAccount(id=user.id, username=user.username, display_name=user.display_name,
                        shown_to_customers_as=staff.public_name(user), role=user.role, teams=list(user.teams),
                        capacity=user.capacity, disabled=user.disabled_at is not None, created_at=user.created_at)


def _check(role: str | None, capacity: int | None) -> None:
    """The CLI's checks (routing.staff), answered as a 422 a person can act on."""
    if role is not None and role not in ROLES:
        raise HTTPException(422, f"role must be one of {', '.join(ROLES)}; got {role!r}.")
    if capacity is not None and not 1 <= capacity <= MAX_CAPACITY:
        raise HTTPException(422, f"capacity must be between 1 and {MAX_CAPACITY} conversations at once.")


def _load(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise HTTPException(404, f"No staff account {user_id}.")
    return user


@router.get("/api/admin/staff")
def list_staff(admin: Admin) -> list[StaffAccount]:
    """Every staff account, disabled ones included (their names stay on past work)."""
    with session_scope() as session:
        return [account(u) for u in session.scalars(select(User).order_by(User.username))]


@router.post("/api/admin/staff", status_code=201)
def add_staff(body: StaffNew, admin: Admin) -> StaffAccount:
    _check(body.role, body.capacity)
    with session_scope() as session:
        try:
            user = staff.add_user(session, body.username, body.password, body.role, body.teams,
                                  capacity=body.capacity)
        except StaffError as error:
            raise HTTPException(409 if "already exists" in str(error) else 422, f"{error}.") from error
        user.display_name = body.display_name
        audit.record(session, admin.username, "user.added", user.username, role=user.role, teams=user.teams,
                     capacity=user.capacity)
        return account(user)


@router.patch("/api/admin/staff/{user_id}")
def change_staff(user_id: RowId, body: StaffChange, admin: Admin) -> StaffAccount:
    _check(body.role, body.capacity)
    with session_scope() as session:
        user = _load(session, user_id)
        if user.id == admin.id and (body.disabled or (body.role is not None and body.role != "admin")):
            raise HTTPException(409, "You cannot disable your own account or take away your own admin role; "
                                     "ask another admin.")
        changed = {}
        for field in ("role", "teams", "display_name", "capacity"):
            value = getattr(body, field)
            if field in body.model_fields_set and value != getattr(user, field):
                changed[field] = {"from": getattr(user, field), "to": value}
                setattr(user, field, value)
        if changed:
            audit.record(session, admin.username, "user.changed", user.username, **changed)
        if body.disabled is not None and body.disabled != (user.disabled_at is not None):
            staff.set_disabled(session, user, body.disabled)
            audit.record(session, admin.username, "user.disabled" if body.disabled else "user.enabled", user.username)
        session.flush()
        return account(user)


@router.post("/api/admin/staff/{user_id}/password")
def reset_password(user_id: RowId, body: NewPassword, admin: Admin) -> StaffAccount:
    """Sets a new password and signs the person out everywhere; the password is never logged."""
    with session_scope() as session:
        user = _load(session, user_id)
        try:
            staff.set_password(session, user, body.password)
        except StaffError as error:
            raise HTTPException(422, f"{error}.") from error
        audit.record(session, admin.username, "user.password_reset", user.username)
        return account(user)


@router.get("/api/audit")
def audit_log(
    admin: Admin,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before: Annotated[int | None, Query(ge=1, le=2**63 - 1, description="Entries older than this id")] = None,
) -> list[AuditOut]:
    """Staff actions, newest first: erasures, publishing, account and role changes."""
    with session_scope() as session:
        return [AuditOut(id=e.id, at=e.at, actor=e.actor, action=e.action,
                         action_words=audit.ACTIONS.get(e.action, e.action), subject=e.subject, details=e.details)
                for e in audit.recent(session, limit, before)]
