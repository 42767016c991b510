"""Staff sign-in and the bearer-token dependency every staff route uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException
from pydantic import BaseModel, Field

from candor.db import session_scope
from routing import staff
from routing.staff import User

router = APIRouter(prefix="/api/auth", tags=["staff"])


class Login(BaseModel):
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)


@router.post("/login")
def login(body: Login) -> dict[str, str]:
    with session_scope() as session:
        result = staff.login(session, body.username, body.password)
        if result is None:
            raise HTTPException(401, "Wrong username or password.")
        user, token = result
        return {"token": token, "role": user.role}


def current_user(authorization: Annotated[str | None, Header()] = None) -> User:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise HTTPException(401, "Sign in first: send 'Authorization: Bearer <token>' from /api/auth/login.")
    with session_scope() as session:
        user = staff.user_for_token(session, authorization[7:].strip())
    if user is None:
        raise HTTPException(401, "This sign-in has expired or is not valid; sign in again.")
    return user


def require(*roles: str) -> Callable[..., User]:
    def check(user: Annotated[User, Depends(current_user)]) -> User:
        if user.role not in roles:
            raise HTTPException(403, f"This needs the {' or '.join(roles)} role; you are {user.role}.")
        return user

    return check


def visible_teams(user: User) -> list[str] | None:
    """Agents see their teams (all teams if none are set); admins see everything."""
    return None if user.role == "admin" or not user.teams else list(user.teams)
