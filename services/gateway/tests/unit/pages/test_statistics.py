"""The statistics page: attendance summed per organisation."""

from __future__ import annotations

from gateway.pages.statistics import totals_by_organisation


def test_attendance_is_summed_per_organisation() -> None:
    rows = [
        {"organisation_name": "Ria", "present": 2, "guest": 0, "excused": 1, "absent": 0},
        {"organisation_name": "Bryggan", "present": 3, "guest": 1, "excused": 0, "absent": 0},
        {"organisation_name": "Ria", "present": 4, "guest": 0, "excused": 0, "absent": 1},
    ]
    totals = totals_by_organisation(rows)
    assert [(t["organisation"], t["present"]) for t in totals] == [("Ria", 6), ("Bryggan", 3)]
