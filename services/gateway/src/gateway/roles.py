"""The roles a person can have, and who may do what in the web UI."""

from __future__ import annotations

from gateway.i18n import N_

ADMINISTRATOR = "administrator"
STAFF = "staff"
ORG_REPRESENTATIVE = "org_representative"
POOL_COORDINATOR = "pool_coordinator"

ALL = (ADMINISTRATOR, STAFF, ORG_REPRESENTATIVE, POOL_COORDINATOR)

# Message ids of the roles' names, in the order they are shown.
LABELS = {
    ADMINISTRATOR: N_("Administratör"),
    STAFF: N_("Personal"),
    ORG_REPRESENTATIVE: N_("Företrädare för en organisation"),
    POOL_COORDINATOR: N_("Samordnare för en volontärpool"),
}

# Who may do what. Services check again with the identity the gateway signs for them.
SIGNED_IN = ALL
READ_MEETINGS = (ADMINISTRATOR, STAFF, ORG_REPRESENTATIVE)
MANAGE_MEETINGS = (ADMINISTRATOR, STAFF)
ADMINISTER = (ADMINISTRATOR,)
