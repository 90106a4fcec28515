"""FastAPI dependencies of the volunteers API: a connection, paging, error answers, who may do what
(and with which pools), and the context offer use cases need (link signer, the service's clock)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request

from backbone.access import Capability, may, roles_with
from backbone.dependencies import ConnDep
from backbone.errors import ERRORS, ErrorBody
from backbone.identity import CurrentIdentity, Identity, require_roles
from backbone.paging import Limit, Offset
from volunteers import pools
from volunteers.model import RequestViewer, Scope
from volunteers.offers import Context

__all__ = [
    "ERRORS",
    "ConnDep",
    "ContextDep",
    "Coordinator",
    "ErrorBody",
    "Limit",
    "Manager",
    "Offset",
    "Requester",
    "Visitor",
    "request_viewer",
    "scope_of",
]

# Who may call which routes comes from backbone.access, the table the gateway reads too.
# Staff who ask for volunteers: the pools (no one's profile), their own requests and who got them.
Requester = Annotated[Identity, require_roles(*roles_with(Capability.REQUEST_VOLUNTEERS))]
# Pool coordinators, for the pools named in their identity (scope_of): volunteers, consent, matching.
Coordinator = Annotated[Identity, require_roles(*roles_with(Capability.COORDINATE_POOLS))]
# Every pool: creating pools.
Manager = Annotated[Identity, require_roles(*roles_with(Capability.MANAGE_VOLUNTEERS))]
# The volunteer's side: any identity the gateway signed (a visitor's without roles too). What a
# link route shows is limited to what the link is for.
Visitor = CurrentIdentity


async def scope_of(conn: ConnDep, identity: Identity) -> Scope:
    """The pools `identity` works with: every one for those who manage volunteers, the pools their
    identity names for a coordinator, none for anyone else."""
    if may(identity.roles, Capability.MANAGE_VOLUNTEERS):
        return Scope(everything=True)
    if not may(identity.roles, Capability.COORDINATE_POOLS):
        return Scope(everything=False)
    return await pools.scope_of(conn, everything=False, names=identity.pool_ids)


async def request_viewer(conn: ConnDep, identity: Identity) -> RequestViewer:
    return RequestViewer(scope=await scope_of(conn, identity), subject=identity.subject)


def _context(request: Request) -> Context:
    settings = request.app.state.runtime.settings
    return Context(
        signer=request.app.state.signer,
        zone=settings.zone,
        now=datetime.now(UTC),
        window_days=settings.fairness_days,
    )


ContextDep = Annotated[Context, Depends(_context)]
