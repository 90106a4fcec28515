"""Security headers on every response, and `Cache-Control: no-store` on everything but static files."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)

# Documents the services render themselves (the printable minutes) come through /api/: no script at
# all, and their own inline stylesheet is allowed.
API_CSP = "; ".join(
    [
        "default-src 'none'",
        "style-src 'unsafe-inline'",
        "img-src 'self' data:",
        "form-action 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)


def headers_for(path: str, *, behind_tls: bool) -> list[tuple[bytes, bytes]]:
    out = [
        (b"content-security-policy", (API_CSP if path.startswith("/api/") else CSP).encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"x-frame-options", b"DENY"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    ]
    if behind_tls:
        out.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
    if path.startswith("/static/"):
        out.append((b"cache-control", b"public, max-age=3600"))
    elif path.startswith("/feeds/"):
        # The events feeds carry the events service's own Cache-Control (private for a secret link);
        # gateway.pages.feeds always sets one.
        pass
    else:
        # Pages and API answers carry personal data: never keep them in any cache.
        out.append((b"cache-control", b"no-store"))
    return out


class SecurityHeaders:
    def __init__(self, app: ASGIApp, behind_tls: bool) -> None:
        self.app = app
        self.behind_tls = behind_tls

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = headers_for(scope["path"], behind_tls=self.behind_tls)
        names = {name for name, _ in extra}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message["headers"] = kept + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)
