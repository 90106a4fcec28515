"""Signing in and out, the language switch, and the person's own account page."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from backbone.dependencies import ConnDep
from gateway import accounts, audit, devices, flash, i18n, sessions
from gateway.auth import CurrentUser, MaybeUser, SettingsDep, client_ip
from gateway.csrf import csrf_protect, pre_session_cookie
from gateway.i18n import _
from gateway.navigation import safe_next
from gateway.rendering import render
from gateway.settings import Settings
from gateway.store import Q

router = APIRouter(dependencies=[Depends(csrf_protect)], tags=["pages"])


def set_session_cookie(response: Response, settings: Settings, token: str) -> None:
    # No Max-Age: the cookie ends with the browser; the server enforces the idle and absolute limits.
    response.set_cookie(
        sessions.cookie_name(settings.behind_tls),
        token,
        httponly=True,
        samesite="lax",
        secure=settings.behind_tls,
        path="/",
    )


def remember_device(request: Request, response: Response, settings: Settings, email: str) -> None:
    """Marks the browser as one the person has signed in from (see `devices`)."""
    name = devices.cookie_name(settings.behind_tls)
    response.set_cookie(
        name,
        devices.remembered(settings.secret_key, request.cookies.get(name), email),
        max_age=int(devices.LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=settings.behind_tls,
        path="/",
    )


async def begin_session(
    request: Request, conn: ConnDep, settings: Settings, *, user_id: uuid.UUID, email: str, next_path: str
) -> RedirectResponse:
    """A new session id at every sign-in; any session the browser had before is ended."""
    old = request.cookies.get(sessions.cookie_name(settings.behind_tls))
    if old:
        await sessions.end(conn, token_hash_=sessions.token_hash(old))
    token = await sessions.start(conn, user_id=user_id, ip=client_ip(request))
    await audit.record(
        conn,
        action="signed_in",
        actor_id=user_id,
        actor_email=email,
        ip=client_ip(request),
    )
    response = RedirectResponse(safe_next(next_path), status_code=303)
    set_session_cookie(response, settings, token)
    remember_device(request, response, settings, email)
    response.delete_cookie(pre_session_cookie(settings.behind_tls), path="/", secure=settings.behind_tls)
    flash.flash(response, "signed_in")
    return response


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_form(request: Request, user: MaybeUser, next: str = "/") -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "pages/sign_in.html", errors={}, email="", next=safe_next(next))


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(
    request: Request,
    conn: ConnDep,
    settings: SettingsDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    errors: dict[str, str] = {}
    status_code = 400
    if not email.strip():
        errors["email"] = _("Skriv din e-postadress.")
    if not password:
        errors["password"] = _("Skriv ditt lösenord.")
    if not errors:
        known_device = devices.knows(
            settings.secret_key, request.cookies.get(devices.cookie_name(settings.behind_tls)), email
        )
        result = await accounts.authenticate(
            conn,
            email=email,
            password=password,
            ip=client_ip(request),
            now=datetime.now(UTC),
            known_device=known_device,
        )
        if result.busy:
            status_code = 503
            errors["email"] = _("Många loggar in just nu. Vänta en liten stund och försök igen.")
        elif result.for_the_account:
            errors["email"] = _(
                "Många försök att logga in på kontot har misslyckats. "
                "Vänta %(seconds)s sekunder och försök igen."
            ) % {"seconds": result.wait_seconds}
        elif result.wait_seconds:
            errors["email"] = _(
                "Du har försökt många gånger. Vänta %(seconds)s sekunder och försök igen."
            ) % {"seconds": result.wait_seconds}
        elif result.user_id is None:
            errors["email"] = _("E-postadressen eller lösenordet stämmer inte. Kontrollera och försök igen.")
        else:
            return await begin_session(
                request, conn, settings, user_id=result.user_id, email=email.strip(), next_path=next
            )
    return render(
        request,
        "pages/sign_in.html",
        status_code=status_code,
        errors=errors,
        email=email,
        next=safe_next(next),
    )


@router.post("/sign-out")
async def sign_out(request: Request, conn: ConnDep, settings: SettingsDep, user: MaybeUser) -> Response:
    response = RedirectResponse("/sign-in", status_code=303)
    if user is not None:
        await sessions.end(conn, token_hash_=user.token_hash)
        await audit.record(
            conn, action="signed_out", actor_id=user.user_id, actor_email=user.email, ip=client_ip(request)
        )
        flash.flash(response, "signed_out")
    response.delete_cookie(sessions.cookie_name(settings.behind_tls), path="/", secure=settings.behind_tls)
    return response


@router.post("/sign-out-everywhere")
async def sign_out_everywhere(
    request: Request, conn: ConnDep, settings: SettingsDep, user: CurrentUser
) -> Response:
    await sessions.end_everywhere(conn, user_id=user.user_id)
    await audit.record(
        conn,
        action="signed_out_everywhere",
        actor_id=user.user_id,
        actor_email=user.email,
        ip=client_ip(request),
    )
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(sessions.cookie_name(settings.behind_tls), path="/", secure=settings.behind_tls)
    flash.flash(response, "signed_out_everywhere")
    return response


@router.post("/language")
async def change_language(
    settings: SettingsDep,
    language: Annotated[str, Form()] = i18n.DEFAULT_LOCALE,
    next: Annotated[str, Form()] = "/",
) -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        i18n.COOKIE,
        i18n.choose(language),
        max_age=365 * 24 * 3600,
        samesite="lax",
        httponly=True,
        secure=settings.behind_tls,
        path="/",
    )
    i18n.set_locale(i18n.choose(language))
    flash.flash(response, "language_changed")
    return response


@router.get("/account", response_class=HTMLResponse)
async def account(request: Request, conn: ConnDep, user: CurrentUser) -> Response:
    count = await Q.count_user_sessions.fetchval(conn, user_id=user.user_id)
    return render(request, "pages/account.html", session_count=count)
