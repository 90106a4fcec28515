"""Pages anyone may read without signing in."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse

from gateway.auth import optional_user
from gateway.rendering import render

router = APIRouter(tags=["pages"])


@router.get("/accessibility", response_class=HTMLResponse, dependencies=[Depends(optional_user)])
async def accessibility_statement(request: Request) -> Response:
    return render(request, "pages/accessibility.html")
