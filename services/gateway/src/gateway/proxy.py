"""Routes `/api/<service>/<path>` to the service's own API, for signed-in people only.

The gateway drops the browser's cookies and credentials and adds an identity signed for that one
service, so a service never sees a session cookie and trusts nothing but the gateway's signature.
"""

from __future__ import annotations

import httpx
from fastapi import APIRouter, Depends, HTTPException, Request, Response

from gateway import roles
from gateway.auth import requires
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
    "content-length",
    CSRF_HEADER.lower(),
    "x-request-id",
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
}


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
    client: httpx.AsyncClient = request.app.state.http
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _DROPPED}
    headers.update(identity_headers(request, user, service))
    try:
        upstream = await client.request(
            request.method,
            f"{base}/{path}",
            params=request.query_params,
            content=await request.body(),
            headers=headers,
        )
    except httpx.HTTPError:
        raise HTTPException(
            status_code=502,
            detail=_("Tjänsten %(name)s svarar inte. Försök igen om en stund.") % {"name": service},
        ) from None
    if request.method != "GET" and upstream.status_code < 400:
        await record_change(request, user, service, request.method, f"/{path}")
    out = {k: v for k, v in upstream.headers.items() if k.lower() not in _DROPPED_FROM_ANSWER}
    return Response(content=upstream.content, status_code=upstream.status_code, headers=out)
