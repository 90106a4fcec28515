"""CSRF protection: a synchronizer token on every form and htmx request that changes something.

Signed-in people get the token stored with their session. Before sign-in (the sign-in form, the
language switch) the token is an HMAC of a random pre-session cookie, so a forged cross-site form
cannot know it either.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request, Response

from gateway.auth import MaybeUser, settings_of

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfRejected(Exception):
    """The form or request did not carry the right token: 403."""


def pre_session_token(secret: str, pre_session_id: str) -> str:
    return hmac.new(secret.encode(), f"csrf:{pre_session_id}".encode(), hashlib.sha256).hexdigest()


def new_pre_session_id() -> str:
    return secrets.token_urlsafe(24)


def pre_session_cookie(behind_tls: bool) -> str:
    """`__Host-` behind TLS: no subdomain can plant a pre-session, and with it a sign-in attempt."""
    return "__Host-delaktig_pre" if behind_tls else "delaktig_pre"


def pre_session_id(request: Request) -> str | None:
    """The browser's pre-session id: from its cookie, or the one this request is giving it."""
    name = pre_session_cookie(settings_of(request).behind_tls)
    return request.cookies.get(name) or getattr(request.state, "new_pre_session", None)


def ensure_pre_session(request: Request, response: Response) -> str:
    """The browser's pre-session id; a browser without one gets a new cookie on `response`."""
    existing = pre_session_id(request)
    if existing:
        return existing
    behind_tls = settings_of(request).behind_tls
    pre = request.state.new_pre_session = new_pre_session_id()
    response.set_cookie(
        pre_session_cookie(behind_tls), pre, httponly=True, samesite="lax", path="/", secure=behind_tls
    )
    return pre


def expected_token(request: Request) -> str | None:
    user = getattr(request.state, "user", None)
    if user is not None:
        return user.csrf_token
    pre = pre_session_id(request)
    if not pre:
        return None
    return pre_session_token(settings_of(request).secret_key, pre)


async def csrf_protect(request: Request, _user: MaybeUser) -> None:
    """Router dependency: checks every unsafe request. Reading the form here is cached for the route."""
    if request.method in SAFE_METHODS:
        return
    submitted = request.headers.get(HEADER)
    # API calls carry the token in the header only: their body is forwarded untouched to a service.
    is_form = request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    )
    if submitted is None and is_form and not request.url.path.startswith("/api/"):
        value = (await request.form()).get(FIELD)
        submitted = value if isinstance(value, str) else None
    expected = expected_token(request)
    if not submitted or not expected or not hmac.compare_digest(submitted, expected):
        raise CsrfRejected()
