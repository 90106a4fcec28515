"""The service's time zone comes from its one setting (MEETINGS_TIMEZONE), not from the code."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import meetings
from meetings.settings import Settings

# A zone far from the default, so a forgotten default shows as a wrong hour, not a rounding.
HELSINKI = "Europe/Helsinki"


@pytest.fixture
def settings_factory(settings_factory: Callable[[], Settings]) -> Callable[[], Settings]:
    """The conftest's settings with the service's zone set, so `client` runs a Helsinki service."""

    def build() -> Settings:
        return settings_factory().model_copy(update={"timezone": HELSINKI})

    return build


async def test_a_meeting_without_a_zone_is_in_the_services_zone(client: Any) -> None:
    meeting = await client.post(
        "/v1/meetings",
        {
            "title": "Avstämning",
            "starts_at": "2026-03-02T13:30:00+02:00",
            "ends_at": "2026-03-02T15:30:00+02:00",
        },
    )
    assert meeting["timezone"] == HELSINKI


async def test_a_series_without_a_zone_meets_at_the_wall_clock_of_the_services_zone(client: Any) -> None:
    series = await client.post(
        "/v1/series",
        {
            "title": "Gemensam utvecklingsgrupp",
            "recurrence": {"frequency": "weekly", "weekday": 0},
            "start_time": "13:30",
            "duration_minutes": 60,
            "starts_on": "2026-03-02",
            "count": 1,
        },
    )
    assert series["timezone"] == HELSINKI
    starts = datetime.fromisoformat(series["meetings"][0]["starts_at"]).astimezone(ZoneInfo(HELSINKI))
    assert (starts.hour, starts.minute) == (13, 30)


async def test_an_imported_meeting_is_placed_in_the_services_zone(client: Any) -> None:
    name = "2016-04-04-gemensam-utvecklingsgrupp.txt"
    text = (Path(meetings.__file__).parent / "demo" / "minutes" / name).read_text(encoding="utf-8")
    imported = await client.post("/v1/imports", {"text": text, "source_name": name})
    meeting = await client.get(f"/v1/meetings/{imported['meeting_id']}")
    assert meeting["timezone"] == HELSINKI
    starts = datetime.fromisoformat(meeting["starts_at"]).astimezone(ZoneInfo(HELSINKI))
    assert (starts.date().isoformat(), starts.hour, starts.minute) == ("2016-04-04", 13, 30)
