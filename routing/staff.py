"""Staff who work the queue and the knowledge base: agents, editors, admins."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import JSON, ForeignKey, Integer, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from candor.db import Base, utcnow
from routing.lifecycle import Presence
from touchpoints.status import status_column_type

ROLES = ("agent", "editor", "admin")
DEFAULT_CAPACITY = 3  # conversations an agent holds at once, unless set per user
MAX_CAPACITY = 50
TOKEN_LIFETIME = timedelta(hours=12)
_hasher = PasswordHasher()


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    teams: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    display_name: Mapped[str | None] = mapped_column(String(80), default=None)  # what customers see
    disabled_at: Mapped[datetime | None] = mapped_column(default=None)         # set: cannot sign in
    # Auto-assignment gives an online agent at most this many conversations at once.
    capacity: Mapped[int] = mapped_column(Integer, default=DEFAULT_CAPACITY, server_default=str(DEFAULT_CAPACITY))
    # As the agent set it; routing/presence.py reads it together with last_seen_at.
    presence: Mapped[Presence] = mapped_column(status_column_type(Presence), default=Presence.OFFLINE,
                                               server_default=Presence.OFFLINE.value)
    last_seen_at: Mapped[datetime | None] = mapped_column(nullable=True)  # the console's last call


class StaffToken(Base):
    """Bearer tokens are random and stored hashed, so a database leak reveals none."""

    __tablename__ = "staff_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column()


class StaffError(ValueError):
    pass


def add_user(session: Session, username: str, password: str, role: str, teams: list[str] | None = None,
             capacity: int = DEFAULT_CAPACITY) -> User:
    if role not in ROLES:
        raise StaffError(f"role must be one of {', '.join(ROLES)}")
    if not 1 <= capacity <= MAX_CAPACITY:
        raise StaffError(f"capacity must be between 1 and {MAX_CAPACITY} conversations at once")
    if len(password) < 8:
        raise StaffError("password must be at least 8 characters")
    if session.scalar(select(User).where(User.username == username)):
        raise StaffError(f"user {username!r} already exists")
    user = User(username=username, password_hash=_hasher.hash(password), role=role, teams=teams or [],
                capacity=capacity)
    session.add(user)
    session.flush()
    return user


def public_name(user: User) -> str:
    """How customers see a person: the display name (else the username) and their first team."""
    name = user.display_name or user.username
    return f"{name} ({user.teams[0].replace('_', ' ').title()})" if user.teams else name


def set_password(session: Session, user: User, password: str) -> None:
    """A new password ends every session the old one opened."""
    if len(password) < 8:
        raise StaffError("password must be at least 8 characters")
    user.password_hash = _hasher.hash(password)
    sign_out_everywhere(session, user)


def set_disabled(session: Session, user: User, disabled: bool) -> None:
    """A disabled account keeps its name on past work but cannot sign in, and is signed out now."""
    user.disabled_at = (user.disabled_at or utcnow()) if disabled else None
    if disabled:
        sign_out_everywhere(session, user)


def sign_out_everywhere(session: Session, user: User) -> None:
    session.execute(delete(StaffToken).where(StaffToken.user_id == user.id))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login(session: Session, username: str, password: str) -> tuple[User, str] | None:
    user = session.scalar(select(User).where(User.username == username))
    try:
        if user is None:
            _hasher.hash(password)  # same work either way: timing does not reveal usernames
            return None
        _hasher.verify(user.password_hash, password)
    except VerificationError:
        return None
    if user.disabled_at is not None:
        return None  # the same answer as a wrong password
    token = secrets.token_urlsafe(32)
    session.add(StaffToken(token_hash=_digest(token), user_id=user.id, expires_at=utcnow() + TOKEN_LIFETIME))
    return user, token


def logout(session: Session, token: str) -> None:
    row = session.get(StaffToken, _digest(token))
    if row is not None:
        session.delete(row)


def first_admin(session: Session) -> tuple[str, str] | None:
    """On a database with no staff, an ``admin`` with a random password (returned to print once)."""
    if session.scalar(select(User.id).limit(1)) is not None:
        return None
    password = secrets.token_urlsafe(12)
    add_user(session, "admin", password, "admin")
    return "admin", password


def user_for_token(session: Session, token: str) -> User | None:
    row = session.get(StaffToken, _digest(token))
    if row is None or row.expires_at < utcnow():
        return None
    user = session.get(User, row.user_id)
    return None if user is None or user.disabled_at is not None else user
