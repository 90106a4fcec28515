"""Request bodies hand the use cases their own frozen dataclasses, with nothing lost or invented."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from meetings import action_items, agendas, attendance, minutes, model, scheduling
from meetings.api.schemas import (
    ActionItemUpdate,
    AgendaItemCreate,
    MeetingCreate,
    MinutesUpdate,
    RollCallUpdate,
    SeriesCreate,
)

ZONE = ZoneInfo("Europe/Helsinki")


def test_a_meeting_without_a_zone_gets_the_one_it_is_given() -> None:
    body = MeetingCreate(
        title="Avstämning",
        starts_at=datetime(2026, 3, 2, 13, 30, tzinfo=ZONE),
        ends_at=datetime(2026, 3, 2, 15, 30, tzinfo=ZONE),
        invitees=[{"name": "Anna", "email": "anna@example.se"}],
    )
    new = body.to_domain(timezone="Europe/Helsinki")
    assert new == scheduling.NewMeeting(
        title="Avstämning",
        group_name=None,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        timezone="Europe/Helsinki",
        place=None,
        invitees=[("Anna", "anna@example.se")],
    )
    named = MeetingCreate.model_validate({**body.model_dump(), "timezone": "Europe/Oslo"})
    assert named.to_domain(timezone="Europe/Helsinki").timezone == "Europe/Oslo"


def test_a_series_carries_its_recurrence_as_the_rule() -> None:
    body = SeriesCreate(
        title="Gemensam utvecklingsgrupp",
        recurrence={"frequency": "monthly", "weekday": 0, "week_of_month": -1},
        start_time=time(13, 30),
        duration_minutes=120,
        starts_on=date(2026, 1, 1),
        count=3,
    )
    new = body.to_domain(timezone="Europe/Helsinki")
    assert new.rule == model.Recurrence(frequency="monthly", weekday=0, interval=1, week_of_month=-1)
    assert (new.timezone, new.count, new.until, new.extra_invitees) == ("Europe/Helsinki", 3, None, [])


def test_agenda_items_and_action_items_leave_position_and_version_to_the_use_case() -> None:
    person = uuid.uuid4()
    item = AgendaItemCreate(title="Klarspråk", kind="theme", guests=["Per"], position=1).to_domain()
    assert item == agendas.AgendaItem(title="Klarspråk", kind="theme", guests=["Per"])
    change = ActionItemUpdate(version=3, text="Boka lokal", owner_person_id=person).to_domain()
    assert change == action_items.ActionItem(text="Boka lokal", owner_person_id=person)


def test_minutes_content_keeps_sections_and_decisions_in_order() -> None:
    body = MinutesUpdate(
        revision=2,
        title="Protokoll",
        sections=[{"heading": "Rapport", "text": "x", "kind": "working_group_report"}, {"heading": "Övrigt"}],
        decisions=[{"text": "Vi beslutar att", "section": "Rapport"}],
    )
    assert body.to_domain() == minutes.MinutesContent(
        title="Protokoll",
        sections=[
            minutes.Section(heading="Rapport", text="x", kind="working_group_report"),
            minutes.Section(heading="Övrigt"),
        ],
        decisions=[minutes.Decision(text="Vi beslutar att", section="Rapport")],
    )


def test_a_roll_call_trims_guest_names() -> None:
    body = RollCallUpdate(
        entries=[{"key": "invitee:0", "status": "present"}],
        guests=[{"name": "  Bo  ", "organisation_name": "G7"}],
    )
    assert body.to_domain() == attendance.RollCall(
        marks=[attendance.RollCallMark(key="invitee:0", status="present")],
        guests=[attendance.Guest(name="Bo", organisation_name="G7")],
    )
