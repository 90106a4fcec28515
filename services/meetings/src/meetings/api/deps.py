"""FastAPI dependencies of the meetings API: a connection, and who may do what."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from backbone.identity import ROLES, Identity, require_roles


async def _connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    async with request.app.state.runtime.pool.acquire() as conn:
        yield conn


ConnDep = Annotated[asyncpg.Connection, Depends(_connection)]

FULL_ACCESS = ("administrator", "staff", "system")

# Anyone signed in may read; pool coordinators only read here.
Reader = Annotated[Identity, require_roles(*ROLES)]
# Staff, administrators and the system manage everything.
Staff = Annotated[Identity, require_roles(*FULL_ACCESS)]
# Organisation representatives also manage their own organisation's people, members and attendance.
Representative = Annotated[Identity, require_roles(*FULL_ACCESS, "org_representative")]


def organisation_scope(identity: Identity) -> uuid.UUID | None:
    """None for full access; the representative's own organisation otherwise (pool coordinators read all)."""
    if identity.has_role(*FULL_ACCESS) or not identity.has_role("org_representative"):
        return None
    try:
        return uuid.UUID(str(identity.organisation_id))
    except ValueError:
        raise HTTPException(
            status_code=403,
            detail="Your identity names no organisation, so there is nothing you may see here.",
        ) from None


def sees_drafts(identity: Identity) -> bool:
    """Only staff see minutes before they are published."""
    return identity.has_role(*FULL_ACCESS)


Limit = Annotated[int, Query(ge=1, le=200, description="Page size")]
Offset = Annotated[int, Query(ge=0, description="How many to skip")]


class ErrorBody(BaseModel):
    detail: str = Field(description="What went wrong and what to do, in plain English")


class FieldError(BaseModel):
    field: str
    message: str


class InvalidBody(ErrorBody):
    errors: list[FieldError]


# The error answers every route may give, for the OpenAPI document.
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "No valid identity from the gateway"},
    403: {"model": ErrorBody, "description": "Your role or organisation does not allow this"},
    404: {"model": ErrorBody, "description": "It does not exist, or is not yours to see"},
    409: {
        "model": ErrorBody,
        "description": "Someone changed it since you read it, or its state does not allow this",
    },
    422: {"model": InvalidBody, "description": "The request is not valid; one message per field"},
}
