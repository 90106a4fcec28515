"""Who may do what with volunteers: special-category data, so each role gets only what it needs."""

from __future__ import annotations

from backbone import access
from backbone.access import Capability


def test_staff_may_ask_for_volunteers_but_not_read_their_profiles() -> None:
    assert access.may((access.STAFF,), Capability.REQUEST_VOLUNTEERS)
    assert not access.may((access.STAFF,), Capability.COORDINATE_POOLS)
    assert not access.may((access.STAFF,), Capability.MANAGE_VOLUNTEERS)


def test_a_pool_coordinator_coordinates_pools_and_nothing_else_of_the_platform() -> None:
    assert access.may((access.POOL_COORDINATOR,), Capability.COORDINATE_POOLS)
    assert access.may((access.POOL_COORDINATOR,), Capability.REQUEST_VOLUNTEERS)
    assert not access.may((access.POOL_COORDINATOR,), Capability.MANAGE_VOLUNTEERS)
    assert not access.may((access.POOL_COORDINATOR,), Capability.READ_MEETINGS)


def test_representatives_have_no_part_in_volunteers() -> None:
    for capability in (
        Capability.REQUEST_VOLUNTEERS,
        Capability.COORDINATE_POOLS,
        Capability.MANAGE_VOLUNTEERS,
    ):
        assert not access.may((access.ORG_REPRESENTATIVE,), capability)


def test_administrators_manage_every_pool() -> None:
    assert access.may((access.ADMINISTRATOR,), Capability.MANAGE_VOLUNTEERS)
