"""Who is asking: the session behind the cookie, and the role checks every page declares."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, Request

from gateway import sessions
from gateway.sessions import SignedIn
from gateway.settings import Settings


class SignInRequired(Exception):
    """Nobody is signed in: pages send the person to the sign-in page, the API answers 401."""


class NotAllowed(Exception):
    """Signed in, but the role does not allow this: 403."""


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


async def _settings(request: Request) -> Settings:
    # async, so FastAPI runs it on the loop: a plain function went to a worker thread on every request
    return settings_of(request)


SettingsDep = Annotated[Settings, Depends(_settings)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def optional_user(request: Request, settings: SettingsDep) -> SignedIn | None:
    """The session behind the cookie. Without a cookie no connection is taken; with one, the connection
    is given back once the session is read, so pages that then wait on services hold none meanwhile.

    Routers run this first (through `csrf_protect`), before a route's own ConnDep is taken, so a
    request never holds two connections at once.
    """
    token = request.cookies.get(sessions.cookie_name(settings.behind_tls))
    user = None
    if token:
        # A conditional GET (backbone.conditional) holds one already: the lookup goes on with it.
        held: asyncpg.Connection | None = getattr(request.state, "connection", None)
        if held is not None:
            user = await _resume(held, token, settings)
        else:
            async with request.app.state.runtime.pool.acquire() as conn:
                user = await _resume(conn, token, settings)
    request.state.user = user
    return user


async def _resume(conn: asyncpg.Connection, token: str, settings: Settings) -> SignedIn | None:
    return await sessions.resume(
        conn,
        token=token,
        now=datetime.now(UTC),
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_absolute_hours),
    )


MaybeUser = Annotated[SignedIn | None, Depends(optional_user)]


async def signed_in(user: MaybeUser) -> SignedIn:
    if user is None:
        raise SignInRequired()
    return user


CurrentUser = Annotated[SignedIn, Depends(signed_in)]


class RoleCheck:
    """A dependency letting through only people with one of `roles`; the route walk test reads `.roles`."""

    def __init__(self, roles: tuple[str, ...]) -> None:
        self.roles = roles

    async def __call__(self, user: CurrentUser) -> SignedIn:
        if not user.has_role(*self.roles):
            raise NotAllowed()
        return user


def requires(*roles: str) -> Any:
    return Depends(RoleCheck(tuple(roles)))
