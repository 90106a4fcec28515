"""The roles an identity carries and what each lets a person do: the one table everyone reads.

Roles are part of the identity the gateway signs, so their vocabulary lives next to it. The
gateway reads this table to decide which pages to show and which service paths to forward; a
service reads it to guard its routes, and keeps the finer rules (which organisation's people a
representative may see) to itself, because only the service knows its data.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

ADMINISTRATOR = "administrator"
STAFF = "staff"
ORG_REPRESENTATIVE = "org_representative"
POOL_COORDINATOR = "pool_coordinator"
# Local tooling (seeding, imports from the command line); never a person's account.
SYSTEM = "system"

ROLES = (ADMINISTRATOR, STAFF, ORG_REPRESENTATIVE, POOL_COORDINATOR, SYSTEM)


class Capability(StrEnum):
    # Organisations, groups, meetings, agendas and published minutes; people only as the service allows.
    READ_MEETINGS = "read_meetings"
    # Everything in the meetings service: every organisation's people, drafts, imports.
    MANAGE_MEETINGS = "manage_meetings"
    # One's own organisation's people, group memberships and attendance.
    MANAGE_OWN_ORGANISATION = "manage_own_organisation"
    # User accounts and the audit log (the gateway's own).
    ADMINISTER = "administer"
    # Every event, drafts included, and the counts of registrations (the events service).
    READ_EVENTS = "read_events"
    # Creating, changing, publishing and cancelling events; registrations and the waiting list.
    MANAGE_EVENTS = "manage_events"
    # Registering one's own organisation's people for events, and their private calendar link.
    REGISTER_OWN_ORGANISATION = "register_own_organisation"
    # Asking for volunteers (requests) and seeing who was assigned; no volunteer's profile.
    REQUEST_VOLUNTEERS = "request_volunteers"
    # One's own pools (identity.pool_ids): their volunteers, consents, matching and offers.
    COORDINATE_POOLS = "coordinate_pools"
    # Every pool and volunteer: creating pools, any coordinator's work.
    MANAGE_VOLUNTEERS = "manage_volunteers"


GRANTS: Mapping[str, frozenset[Capability]] = {
    ADMINISTRATOR: frozenset(Capability),
    STAFF: frozenset(
        {
            Capability.READ_MEETINGS, Capability.MANAGE_MEETINGS, Capability.MANAGE_OWN_ORGANISATION,
            Capability.READ_EVENTS, Capability.MANAGE_EVENTS, Capability.REGISTER_OWN_ORGANISATION,
            Capability.REQUEST_VOLUNTEERS,
        }
    ),
    ORG_REPRESENTATIVE: frozenset(
        {
            Capability.READ_MEETINGS, Capability.MANAGE_OWN_ORGANISATION, Capability.READ_EVENTS,
            Capability.REGISTER_OWN_ORGANISATION,
        }
    ),
    # Pool coordinators work in the volunteers service; the meetings service's people are not theirs.
    POOL_COORDINATOR: frozenset({Capability.REQUEST_VOLUNTEERS, Capability.COORDINATE_POOLS}),
    SYSTEM: frozenset(
        {
            Capability.READ_MEETINGS, Capability.MANAGE_MEETINGS, Capability.MANAGE_OWN_ORGANISATION,
            Capability.READ_EVENTS, Capability.MANAGE_EVENTS, Capability.REGISTER_OWN_ORGANISATION,
            Capability.REQUEST_VOLUNTEERS, Capability.COORDINATE_POOLS, Capability.MANAGE_VOLUNTEERS,
        }
    ),
}


def roles_with(capability: Capability) -> tuple[str, ...]:
    """The roles that grant `capability`, in the order of ROLES."""
    return tuple(role for role in ROLES if capability in GRANTS[role])


def may(roles: tuple[str, ...], capability: Capability) -> bool:
    return any(capability in GRANTS.get(role, frozenset()) for role in roles)
