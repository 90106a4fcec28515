"""The table of roles and capabilities: one vocabulary with the identity, no role left out."""

from __future__ import annotations

from backbone import access, identity


def test_the_identity_carries_exactly_the_roles_the_table_grants() -> None:
    assert set(identity.ROLES) == set(access.ROLES) == set(access.GRANTS)


def test_pool_coordinators_read_nothing_of_the_meetings_service() -> None:
    assert access.POOL_COORDINATOR not in access.roles_with(access.Capability.READ_MEETINGS)
    assert not access.may((access.POOL_COORDINATOR,), access.Capability.READ_MEETINGS)


def test_whoever_manages_meetings_also_reads_them() -> None:
    managers = set(access.roles_with(access.Capability.MANAGE_MEETINGS))
    assert managers <= set(access.roles_with(access.Capability.READ_MEETINGS))
    assert managers <= set(access.roles_with(access.Capability.MANAGE_OWN_ORGANISATION))


def test_registering_for_events_is_the_events_services_own_capability() -> None:
    registrars = set(access.roles_with(access.Capability.REGISTER_OWN_ORGANISATION))
    assert set(access.roles_with(access.Capability.MANAGE_EVENTS)) <= registrars
    assert access.ORG_REPRESENTATIVE in registrars and access.POOL_COORDINATOR not in registrars
