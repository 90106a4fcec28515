"""A requirement that expires is not met by a record of it without an expiry (review finding 7)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from volunteers.matching import Need, Qualification, Requirement, requirement_problem

RECORD_CHECK = Requirement(
    "belastningsregister", "certificate", "Utdrag ur belastningsregistret", expires=True
)
MONDAY = datetime(2027, 1, 11, 8, tzinfo=UTC)
NEED = Need(
    request_id=uuid.uuid4(),
    starts_at=MONDAY,
    ends_at=MONDAY + timedelta(hours=2),
    zone=ZoneInfo("UTC"),  # the day is the same in any zone near Sweden at 08.00 UTC
    requirements=(RECORD_CHECK,),
)


def test_a_record_without_an_expiry_does_not_meet_an_expiring_requirement() -> None:
    problem = requirement_problem(
        RECORD_CHECK, [Qualification("belastningsregister", date(2025, 1, 1))], NEED
    )
    assert problem is not None and "slutdatum" in problem


def test_a_record_with_an_expiry_after_the_request_meets_it() -> None:
    held = [Qualification("belastningsregister", date(2025, 1, 1), date(2028, 1, 1))]
    assert requirement_problem(RECORD_CHECK, held, NEED) is None
