"""FastAPI dependencies of the events API: a connection, paging, error answers, who may do what,
and the context registration use cases need (link signer, the service's clock)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request

from backbone.access import Capability, may, roles_with
from backbone.dependencies import ConnDep
from backbone.errors import ERRORS, ErrorBody, NotAllowed
from backbone.identity import CurrentIdentity, Identity, require_roles
from backbone.paging import Limit, Offset
from events.model import Viewer
from events.registrations import Context

__all__ = [
    "ERRORS",
    "ConnDep",
    "ContextDep",
    "ErrorBody",
    "Limit",
    "Offset",
    "Reader",
    "Registrar",
    "ServiceZone",
    "Staff",
    "Visitor",
    "manages_events",
    "organisation_scope",
    "viewer",
]

# Who may call which routes comes from backbone.access, the table the gateway reads too.
Reader = Annotated[Identity, require_roles(*roles_with(Capability.READ_EVENTS))]
Staff = Annotated[Identity, require_roles(*roles_with(Capability.MANAGE_EVENTS))]
# Staff, and organisation representatives for their own organisation's members (organisation_scope).
Registrar = Annotated[Identity, require_roles(*roles_with(Capability.REGISTER_OWN_ORGANISATION))]
# The public side: any identity the gateway signed, a visitor's without roles too. The gateway
# serves the public pages and speaks for the people who use them; what they see is limited by the
# routes (public events only, no one's personal data).
Visitor = CurrentIdentity


def _zone(request: Request) -> ZoneInfo:
    zone: ZoneInfo = request.app.state.runtime.settings.zone
    return zone


ServiceZone = Annotated[ZoneInfo, Depends(_zone)]


def _context(request: Request) -> Context:
    settings = request.app.state.runtime.settings
    return Context(signer=request.app.state.signer, zone=settings.zone, now=datetime.now(UTC))


ContextDep = Annotated[Context, Depends(_context)]


def manages_events(identity: Identity) -> bool:
    return may(identity.roles, Capability.MANAGE_EVENTS)


def viewer(identity: Identity) -> Viewer:
    """Which events `identity` may read on the staff side (model.Viewer)."""
    if may(identity.roles, Capability.MANAGE_EVENTS):
        return Viewer(everything=True)
    try:
        own: uuid.UUID | None = uuid.UUID(str(identity.organisation_id))
    except ValueError:
        own = None
    return Viewer(everything=False, organisation_id=own)


def organisation_scope(identity: Identity, requested: uuid.UUID | None = None) -> uuid.UUID | None:
    """The organisation whose registrations `identity` works with: any (None, or the one asked for)
    for those who manage events; a representative's own organisation otherwise."""
    if may(identity.roles, Capability.MANAGE_EVENTS):
        return requested
    try:
        own = uuid.UUID(str(identity.organisation_id))
    except ValueError:
        raise NotAllowed(
            "Ditt konto hör inte till någon organisation, så du kan inte anmäla någon. "
            "Kontakta en administratör."
        ) from None
    if requested is not None and requested != own:
        raise NotAllowed("Du kan bara anmäla och se personer från din egen organisation.")
    return own
