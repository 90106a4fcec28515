"""The roles a person can have, and who may do what in the web UI."""

from __future__ import annotations

from backbone.access import ADMINISTRATOR, ORG_REPRESENTATIVE, POOL_COORDINATOR, STAFF, Capability, roles_with
from gateway.i18n import N_

# The roles a person's account can have (`system` is for local tooling, never an account).
ALL = (ADMINISTRATOR, STAFF, ORG_REPRESENTATIVE, POOL_COORDINATOR)

# Message ids of the roles' names, in the order they are shown.
LABELS = {
    ADMINISTRATOR: N_("Administratör"),
    STAFF: N_("Personal"),
    ORG_REPRESENTATIVE: N_("Företrädare för en organisation"),
    POOL_COORDINATOR: N_("Samordnare för en volontärpool"),
}


def _accounts_with(capability: Capability) -> tuple[str, ...]:
    return tuple(role for role in roles_with(capability) if role in ALL)


# Who may do what, from the one table in backbone.access that the services read too; a service
# checks again with the identity the gateway signs for it, and decides finer rules on its data.
SIGNED_IN = ALL
READ_MEETINGS = _accounts_with(Capability.READ_MEETINGS)
MANAGE_MEETINGS = _accounts_with(Capability.MANAGE_MEETINGS)
ADMINISTER = _accounts_with(Capability.ADMINISTER)
READ_EVENTS = _accounts_with(Capability.READ_EVENTS)
MANAGE_EVENTS = _accounts_with(Capability.MANAGE_EVENTS)
REGISTER_FOR_EVENTS = _accounts_with(Capability.REGISTER_OWN_ORGANISATION)
REQUEST_VOLUNTEERS = _accounts_with(Capability.REQUEST_VOLUNTEERS)
COORDINATE_POOLS = _accounts_with(Capability.COORDINATE_POOLS)
MANAGE_VOLUNTEERS = _accounts_with(Capability.MANAGE_VOLUNTEERS)
# Webhooks (notify): representatives their own organisation's, administrators every one; notify decides.
MANAGE_WEBHOOKS = (ADMINISTRATOR, ORG_REPRESENTATIVE)

# What a person needs before `/api/<service>/…` forwards anything to the service, the same as the
# service's pages ask for; the service then refuses or filters by its own rules. A service not
# listed here is forwarded for any signed-in person and decides alone.
PROXIED_SERVICES: dict[str, tuple[str, ...]] = {"meetings": READ_MEETINGS, "events": READ_EVENTS}


def may_use_service(user_roles: tuple[str, ...], service: str) -> bool:
    allowed = PROXIED_SERVICES.get(service, SIGNED_IN)
    return any(role in allowed for role in user_roles)
