"""Domain errors a use case raises, and the HTTP answers they become (404, 403, 409 with the reason).

A use case says why it refused in plain words; `install_rule_errors` sends those words to the caller
as `detail`, so the page that asked can show them instead of a generic message.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from backbone.logs import get_logger

log = get_logger(__name__)


class RuleError(ValueError):
    """A request breaks a domain rule; the message says which and what to do instead."""


class NotFound(RuleError):
    """The thing asked for does not exist (or is not visible to the one asking)."""


class StaleVersion(RuleError):
    """Someone else changed the thing since the caller read it."""


class NotAllowed(RuleError):
    """The identity may not do this to this thing (e.g. another organisation's member)."""


def status_of(exc: RuleError) -> int:
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, NotAllowed):
        return 403
    return 409  # a stale version, or a state the request does not fit


def kind_of(exc: RuleError) -> str:
    """The machine-readable `error` of the answer: `stale_version`, or the error's class name."""
    return "stale_version" if isinstance(exc, StaleVersion) else type(exc).__name__


def install_rule_errors(app: FastAPI) -> None:
    @app.exception_handler(RuleError)
    async def rule_error(_request: Request, exc: RuleError) -> JSONResponse:
        message = str(exc)
        detail = message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")
        return JSONResponse(status_code=status_of(exc), content={"detail": detail, "error": kind_of(exc)})

    # Races the use cases' own checks cannot see (two requests at once) end here, not in a 500.
    @app.exception_handler(asyncpg.exceptions.UniqueViolationError)
    async def duplicate(_request: Request, _exc: Exception) -> JSONResponse:
        return JSONResponse(
            status_code=409,
            content={"detail": "Something with the same name or key was just created. Reload and try again."},
        )

    # A deadlock (40P01) or serialisation failure (40001): PostgreSQL rolled this request back so
    # that another could go on; nothing of it was kept, so sending it again is safe.
    @app.exception_handler(asyncpg.exceptions.TransactionRollbackError)
    async def rolled_back(_request: Request, _exc: Exception) -> JSONResponse:
        return JSONResponse(
            status_code=409,
            content={"detail": "Another change to the same things happened at the same moment. Try again."},
        )

    # Input PostgreSQL cannot take (SQLSTATE class 22: a NUL character in text, a number out of
    # range) or asyncpg cannot encode: the request is at fault, and sending it again will not help.
    @app.exception_handler(asyncpg.exceptions.DataError)
    async def unstorable(_request: Request, exc: Exception) -> JSONResponse:
        # The class only (e.g. CharacterNotInRepertoireError), never the value: it may be personal.
        log.warning("data the database refused", error=type(exc).__name__)
        return JSONResponse(
            status_code=400,
            content={
                "detail": "Något i förfrågan går inte att spara, till exempel osynliga tecken i en text "
                "eller ett för stort tal. Rätta uppgifterna och försök igen.",
                "error": "invalid_data",
            },
        )

    @app.exception_handler(asyncpg.exceptions.ForeignKeyViolationError)
    async def dangling(_request: Request, _exc: Exception) -> JSONResponse:
        return JSONResponse(
            status_code=409,
            content={
                "detail": "Something this refers to was just removed or does not exist. Reload and try again."
            },
        )


class ErrorBody(BaseModel):
    detail: str = Field(description="What went wrong and what to do, in plain English")


class FieldError(BaseModel):
    field: str
    message: str


class InvalidBody(ErrorBody):
    errors: list[FieldError]


# The error answers every route may give (the identity check, the rule errors above, validation),
# for the OpenAPI document: `@router.get(..., responses=ERRORS)`.
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
