"""Routes `/api/<service>/<path>` to the service's own API."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, HTTPException, Request, Response

from backbone.correlation import REQUEST_ID_HEADER, current_request_id

router = APIRouter(tags=["api"])
_HOP_BY_HOP = {"authorization", "cookie", "connection", "keep-alive", "transfer-encoding", "te", "upgrade", "host", "content-length"}


@router.api_route("/api/{service}/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
async def forward(service: str, path: str, request: Request) -> Response:
    upstreams: dict[str, str] = request.app.state.upstreams
    base = upstreams.get(service)
    if base is None:
        raise HTTPException(status_code=404, detail=f"There is no service called '{service}'.")
    client: httpx.AsyncClient = request.app.state.http
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
    headers[REQUEST_ID_HEADER] = current_request_id() or ""
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
            status_code=502, detail=f"The {service} service did not answer. Try again in a moment."
        ) from None
    out = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP_BY_HOP}
    return Response(content=upstream.content, status_code=upstream.status_code, headers=out)
