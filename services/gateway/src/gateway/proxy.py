"""Routes `/api/<service>/<path>` to the service's own API, for signed-in people only.

The gateway drops the browser's cookies and credentials and adds an identity signed for that one
service, so a service never sees a session cookie and trusts nothing but the gateway's signature.

Only a service's versioned API (`v1/...`) is forwarded: its probes and metrics are not for every
signed-in reader. A path with a `.` or `..` segment, percent-encoded or not, is refused: it would be
resolved on the way out to another path than the one the body limit and these rules saw. Hop-by-hop
and forwarding headers stay at the gateway, both ways, and a service's answer is read up to a limit
(`proxy_max_response_bytes`), never whole into memory.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

import httpx
from fastapi import APIRouter, Depends, HTTPException, Request, Response
from starlette.datastructures import Headers

from gateway import roles
from gateway.auth import NotAllowed, requires
from gateway.csrf import HEADER as CSRF_HEADER
from gateway.csrf import csrf_protect
from gateway.i18n import _
from gateway.sessions import SignedIn
from gateway.upstream import identity_headers, record_change

router = APIRouter(tags=["api"], dependencies=[Depends(csrf_protect)])
_DROPPED = {
    "authorization",
    "cookie",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "upgrade",
    "host",
    CSRF_HEADER.lower(),
    "x-request-id",
    # The gateway's own business: the client's proxy credentials, and where the request came from
    # (the gateway read that already; a service must not trust what a browser claims there).
    "proxy-authorization",
    "proxy-connection",
    "forwarded",
    "trailer",
    "expect",
}
_DROPPED_FROM_ANSWER = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "upgrade",
    "content-length",
    "set-cookie",
    "content-encoding",
    "trailer",
    "proxy-authenticate",
    "proxy-connection",
}
_VERSIONED = re.compile(r"v[0-9]+/")


def _passed_on(headers: Headers | httpx.Headers, dropped: set[str]) -> dict[str, str]:
    """Headers without the hop-by-hop ones: the fixed list, and every header named in Connection."""
    items = list(headers.items())
    named = {
        token.strip().lower() for k, v in items if k.lower() == "connection" for token in v.split(",")
    }
    return {
        k: v
        for k, v in items
        if (low := k.lower()) not in dropped and low not in named and not low.startswith("x-forwarded-")
    }


def _checked_path(service: str, path: str) -> str:
    """`path` when it is a plain path into the service's versioned API; 404 or 400 otherwise."""
    if not _VERSIONED.match(path):
        raise HTTPException(
            status_code=404,
            detail=_("Det finns ingen sådan adress hos tjänsten %(name)s.") % {"name": service},
        )
    decoded = path
    for _round in range(5):  # %252e is %2e is "."
        once = unquote(decoded)
        if once == decoded:
            break
        decoded = once
    if any(segment in (".", "..") for segment in re.split(r"[/\\]", decoded)):
        raise HTTPException(
            status_code=400,
            detail=_("Adressen får inte ha \".\" eller \"..\" som en del. Skriv hela vägen utan dem."),
        )
    return path


def _has_body(request: Request) -> bool:
    return "content-length" in request.headers or "transfer-encoding" in request.headers


@router.api_route("/api/{service}/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
async def forward(
    service: str, path: str, request: Request, user: SignedIn = requires(*roles.SIGNED_IN)
) -> Response:
    upstreams: dict[str, str] = request.app.state.upstreams
    base = upstreams.get(service)
    if base is None:
        raise HTTPException(
            status_code=404, detail=_("Det finns ingen tjänst som heter %(name)s.") % {"name": service}
        )
    if not roles.may_use_service(user.roles, service):
        # The same rule as the service's pages: a role that may not open them reads nothing here.
        raise NotAllowed()
    path = _checked_path(service, path)
    client: httpx.AsyncClient = request.app.state.http
    headers = _passed_on(request.headers, _DROPPED)
    headers.update(identity_headers(request, user, service))
    outgoing = client.build_request(
        request.method,
        f"{base}/{path}",
        params=request.query_params,
        # Streamed, not read into memory: the body limit (backbone.http.BodyLimit) has already
        # checked the declared length, and counts a chunked body while it passes through.
        content=request.stream() if _has_body(request) else None,
        headers=headers,
    )
    limit: int = request.app.state.settings.proxy_max_response_bytes
    try:
        upstream = await client.send(outgoing, stream=True)
        try:
            body = await _read_capped(upstream, limit, service)
        finally:
            await upstream.aclose()
    except httpx.HTTPError:
        raise HTTPException(
            status_code=502,
            detail=_("Tjänsten %(name)s svarar inte. Försök igen om en stund.") % {"name": service},
        ) from None
    if request.method != "GET" and upstream.status_code < 400:
        await record_change(request, user, service, request.method, f"/{path}")
    out = _passed_on(upstream.headers, _DROPPED_FROM_ANSWER)
    return Response(content=body, status_code=upstream.status_code, headers=out)


async def _read_capped(upstream: httpx.Response, limit: int, service: str) -> bytes:
    """The answer's body, as decoded, or 502 once it passes `limit` (declared or counted)."""
    declared = upstream.headers.get("content-length", "")
    too_large = HTTPException(
        status_code=502,
        detail=_(
            "Svaret från tjänsten %(name)s är för stort: mer än %(size)s MB. "
            "Be om mindre åt gången, till exempel färre rader per sida."
        )
        % {"name": service, "size": f"{limit / 1_048_576:.1f}".replace(".", ",")},
    )
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    async for chunk in upstream.aiter_bytes():
        body += chunk
        if len(body) > limit:
            raise too_large
    return bytes(body)
