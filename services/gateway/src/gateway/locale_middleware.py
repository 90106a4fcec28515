"""Sets the language of each request from the language cookie (Swedish when there is none)."""

from __future__ import annotations

from http.cookies import SimpleCookie

from starlette.types import ASGIApp, Receive, Scope, Send

from gateway import i18n


class LocaleMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            value = None
            for name, raw in scope.get("headers", []):
                if name == b"cookie":
                    cookie: SimpleCookie = SimpleCookie()
                    try:
                        cookie.load(raw.decode("latin-1"))
                    except Exception:  # noqa: BLE001 - a broken cookie header means "no preference"
                        continue
                    if i18n.COOKIE in cookie:
                        value = cookie[i18n.COOKIE].value
            i18n.set_locale(i18n.choose(value))
        await self.app(scope, receive, send)
