"""Development only: the messages the system has sent, as the local SMTP sink keeps them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from gateway import maildir, roles
from gateway.auth import requires
from gateway.i18n import _
from gateway.rendering import render
from gateway.sessions import SignedIn

router = APIRouter(prefix="/dev/mailbox", tags=["pages"])
Viewer = Annotated[SignedIn, requires(*roles.MANAGE_MEETINGS)]
PAGE_SIZE = 25


@router.get("", response_class=HTMLResponse)
async def inbox(request: Request, _user: Viewer, offset: Annotated[int, Query(ge=0)] = 0) -> Response:
    path = request.app.state.settings.maildir
    found = maildir.messages(path) if path else []
    page = {
        "items": found[offset : offset + PAGE_SIZE],
        "total": len(found),
        "limit": PAGE_SIZE,
        "offset": offset,
    }
    return render(request, "dev/mailbox.html", page=page, maildir=path)


@router.get("/{key}", response_class=HTMLResponse)
async def read_message(request: Request, key: str, _user: Viewer) -> Response:
    path = request.app.state.settings.maildir
    found = maildir.message(path, key) if path and "/" not in key else None
    if found is None:
        return render(
            request,
            "pages/error.html",
            status_code=404,
            heading=_("Meddelandet finns inte"),
            message=_("Gå tillbaka till e-postlådan."),
        )
    return render(request, "dev/message.html", message=found)
