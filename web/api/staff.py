"""Staff sign-in: bearer tokens for API clients, an HttpOnly cookie plus CSRF token for the pages."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Cookie, Depends, Header, HTTPException, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from candor.db import session_scope
from routing import staff
from routing.staff import TOKEN_LIFETIME, User
from web.rate_limits import per_login

router = APIRouter(prefix="/api/auth", tags=["staff"])

COOKIE = "candor_session"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)
    # The pages sign in with a cookie the browser keeps (and scripts cannot read);
    # API clients get the token in the body.
    cookie: bool = False


class SignedIn(BaseModel):
    """An API client gets ``token`` (send it as a bearer token); a page gets a cookie and ``csrf``."""

    role: str
    token: str | None = Field(default=None, description="Only when signing in without a cookie")
    csrf: str | None = Field(default=None, description="Only with the cookie: send it as X-CSRF-Token")


class Me(BaseModel):
    username: str
    role: str
    teams: list[str]
    csrf: str = Field(description="Send as X-CSRF-Token on changes when signed in with the cookie")


class SignedOut(BaseModel):
    ok: bool


def csrf_token(request: Request, session_token: str) -> str:
    """Bound to the session: a page proves it can read /api/auth/me, which another site cannot."""
    key = request.app.state.settings.secret_key.encode()
    return hmac.new(key, session_token.encode(), hashlib.sha256).hexdigest()


@router.post("/login", dependencies=[Depends(per_login)], response_model_exclude_unset=True)
def login(body: Login, request: Request, response: Response) -> SignedIn:
    with session_scope() as session:
        result = staff.login(session, body.username, body.password)
        if result is None:
            raise HTTPException(401, "Wrong username or password.")
        user, token = result
        if not body.cookie:
            return SignedIn(token=token, role=user.role)
    response.set_cookie(
        COOKIE, token, max_age=int(TOKEN_LIFETIME.total_seconds()), httponly=True, samesite="strict",
        secure=request.url.scheme == "https", path="/",
    )
    return SignedIn(role=user.role, csrf=csrf_token(request, token))


def _credentials(
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
    session_cookie: Annotated[str | None, Cookie(alias=COOKIE)] = None,
    x_csrf_token: Annotated[str | None, Header()] = None,
) -> str:
    """The staff token from the Authorization header, or from the cookie with a valid CSRF header."""
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    if session_cookie:
        if request.method not in SAFE_METHODS and not hmac.compare_digest(
            x_csrf_token or "", csrf_token(request, session_cookie)
        ):
            raise HTTPException(403, "Missing or wrong CSRF token; reload the page and try again.")
        return session_cookie
    raise HTTPException(401, "Sign in first: send 'Authorization: Bearer <token>' from /api/auth/login.")


def current_user(token: Annotated[str, Depends(_credentials)]) -> User:
    with session_scope() as session:
        user = staff.user_for_token(session, token)
    if user is None:
        raise HTTPException(401, "This sign-in has expired or is not valid; sign in again.")
    return user


@router.get("/me")
def me(user: Annotated[User, Depends(current_user)], token: Annotated[str, Depends(_credentials)],
       request: Request) -> Me:
    return Me(username=user.username, role=user.role, teams=user.teams, csrf=csrf_token(request, token))


@router.post("/logout")
def logout(token: Annotated[str, Depends(_credentials)], response: Response) -> SignedOut:
    with session_scope() as session:
        staff.logout(session, token)
    response.delete_cookie(COOKIE, path="/")
    return SignedOut(ok=True)


def require(*roles: str) -> Callable[..., User]:
    def check(user: Annotated[User, Depends(current_user)]) -> User:
        if user.role not in roles:
            raise HTTPException(403, f"This needs the {' or '.join(roles)} role; you are {user.role}.")
        return user

    return check


Agent = Annotated[User, Depends(require("agent", "admin"))]

# A row id (or version number) in a path. Ids start at 1, and SQLite cannot even compare a number
# beyond 64 bits with a column (OverflowError, a 500), so anything outside is refused with a 422.
RowId = Annotated[int, Path(ge=1, le=2**63 - 1)]


def visible_teams(user: User) -> list[str] | None:
    """Agents see their teams (all teams if none are set); admins see everything."""
    return None if user.role == "admin" or not user.teams else list(user.teams)
