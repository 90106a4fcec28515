"""FastAPI dependencies of the notify API: a connection, paging, who may do what, the link signer."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request

from backbone.access import Capability, roles_with
from backbone.dependencies import ConnDep
from backbone.errors import ERRORS
from backbone.identity import CurrentIdentity, Identity, require_roles
from backbone.paging import Limit, Offset
from notify.links import Signer

__all__ = ["ERRORS", "ConnDep", "Limit", "Offset", "ServiceZone", "SignerDep", "Staff", "Visitor"]

# The delivery log names people's addresses: staff who run meetings and events read it.
Staff = Annotated[Identity, require_roles(*roles_with(Capability.MANAGE_EVENTS))]
# The public side: any identity the gateway signed, a visitor's without roles too; the signed link
# in the request says whose preferences these are.
Visitor = CurrentIdentity


def _zone(request: Request) -> ZoneInfo:
    zone: ZoneInfo = request.app.state.runtime.settings.zone
    return zone


def _signer(request: Request) -> Signer:
    signer: Signer = request.app.state.signer
    return signer


ServiceZone = Annotated[ZoneInfo, Depends(_zone)]
SignerDep = Annotated[Signer, Depends(_signer)]
