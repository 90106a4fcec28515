"""The event catalogue of the service, and the small pure helpers of search and import."""

from __future__ import annotations

import pytest

from backbone.contracts import SchemaViolation, lookup
from meetings import contracts, importing, search
from meetings.importer import Decision, ParsedMinutes, Section

SUBJECTS = [
    "meetings.organisation.registered.v1",
    "meetings.organisation.updated.v1",
    "meetings.person.registered.v1",
    "meetings.person.updated.v1",
    "meetings.group.created.v1",
    "meetings.membership.added.v1",
    "meetings.membership.removed.v1",
    "meetings.meeting.scheduled.v1",
    "meetings.meeting.rescheduled.v1",
    "meetings.meeting.cancelled.v1",
    "meetings.series.created.v1",
    "meetings.attendance.recorded.v1",
    "meetings.minutes.published.v1",
    "meetings.minutes.corrected.v1",
    "meetings.decision.recorded.v1",
    "meetings.action_item.assigned.v1",
    "meetings.action_item.due_soon.v1",
    "meetings.action_item.overdue.v1",
    "meetings.action_item.closed.v1",
]


@pytest.mark.parametrize("subject", SUBJECTS)
def test_every_event_is_in_the_catalogue_with_a_schema(subject: str) -> None:
    event = lookup(subject)
    assert event is not None and event.owner == "meetings"
    assert event.schema["type"] == "object" and event.description


def test_the_scheduled_event_keeps_what_notify_reads() -> None:
    fields = set(contracts.MeetingScheduledV1.model_fields)
    assert {"title", "group_name", "starts_at", "ends_at", "timezone", "place", "invitees"} <= fields


def test_a_payload_that_breaks_its_schema_is_refused() -> None:
    with pytest.raises(SchemaViolation):
        contracts.MEETING_CANCELLED.validate({"meeting_id": 1})


def test_highlights_are_escaped_html_with_marks() -> None:
    assert search.highlight_html("a <b> [[[möte]]] & c") == "a &lt;b&gt; <mark>möte</mark> &amp; c"


def test_import_helpers() -> None:
    assert importing.organisation_kind("socialförvaltningen") == "municipal"
    assert importing.organisation_kind("Bryggan") == "user_organisation"
    content = importing.minutes_from(
        ParsedMinutes(
            title="Gemensam utvecklingsgrupp",
            sections=[
                Section(heading=None, text="Inledning"),
                Section(heading="Rapport från arbetsgrupper", text="x"),
            ],
            decisions=[
                Decision(text="Vi beslutar att", section="A"),
                Decision(text=""),
            ],
        )
    )
    assert [(s.heading, s.kind) for s in content.sections] == [
        ("Inledning", "text"),
        ("Rapport från arbetsgrupper", "working_group_report"),
    ]
    assert content.decisions_json() == [{"text": "Vi beslutar att", "section": "A"}]
