"""FastAPI dependencies of the meetings API: a connection, paging, error answers, and who may do what.

The connection, paging parameters and error answers are backbone's, the same in every service; the
routes import them from here together with the meetings roles.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from backbone.access import Capability, may, roles_with
from backbone.dependencies import ConnDep
from backbone.errors import ERRORS, ErrorBody
from backbone.identity import Identity, require_roles
from backbone.paging import Limit, Offset

__all__ = [
    "ERRORS",
    "ConnDep",
    "ErrorBody",
    "Limit",
    "Offset",
    "Reader",
    "Representative",
    "ServiceTimezone",
    "Staff",
    "organisation_scope",
    "sees_drafts",
]

# Who may call which routes comes from backbone.access, the table the gateway reads too.
Reader = Annotated[Identity, require_roles(*roles_with(Capability.READ_MEETINGS))]
# Staff, administrators and the system manage everything.
Staff = Annotated[Identity, require_roles(*roles_with(Capability.MANAGE_MEETINGS))]
# Organisation representatives also manage their own organisation's people, members and attendance.
Representative = Annotated[Identity, require_roles(*roles_with(Capability.MANAGE_OWN_ORGANISATION))]


async def _service_timezone(request: Request) -> str:
    return str(request.app.state.runtime.settings.timezone)


# The service's time zone (`Settings.timezone`): where a meeting that names none of its own meets.
ServiceTimezone = Annotated[str, Depends(_service_timezone)]


def organisation_scope(identity: Identity) -> uuid.UUID | None:
    """None for those who see every organisation; the representative's own organisation otherwise.

    Every read of people (or of data that names them) passes this scope to the use case, which
    is where the rule of what a representative sees lives.
    """
    if may(identity.roles, Capability.MANAGE_MEETINGS):
        return None
    try:
        return uuid.UUID(str(identity.organisation_id))
    except ValueError:
        raise HTTPException(
            status_code=403,
            detail="Your identity names no organisation, so there is nothing you may see here.",
        ) from None


def sees_drafts(identity: Identity) -> bool:
    """Only those who manage meetings see minutes before they are published."""
    return may(identity.roles, Capability.MANAGE_MEETINGS)
