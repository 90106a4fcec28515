"""The FastAPI dependency of the routes for hours and reviews: the link context (signer, zone, now)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request

from volunteers.work_links import LinkContext


def _link_context(request: Request) -> LinkContext:
    return LinkContext(
        signer=request.app.state.work_signer,
        zone=request.app.state.runtime.settings.zone,
        now=datetime.now(UTC),
    )


LinkContextDep = Annotated[LinkContext, Depends(_link_context)]
