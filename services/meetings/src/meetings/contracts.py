"""The events the meetings service publishes, with their payloads (the publisher owns them).

Consumers read only the fields they need; fields are added, never removed or renamed, within a
major version.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from backbone.contracts import event_type


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Invitee(_Payload):
    name: str
    email: str


# -- organisations, people, groups ------------------------------------------------------------


class OrganisationChangedV1(_Payload):
    organisation_id: str
    name: str
    kind: str
    change: str  # "registered" or "renamed"/"updated"


class PersonChangedV1(_Payload):
    person_id: str
    name: str
    email: str | None
    organisation_id: str | None
    change: str  # "registered" or "updated"


class GroupCreatedV1(_Payload):
    group_id: str
    name: str
    kind: str
    parent_group_id: str | None


class MembershipChangedV1(_Payload):
    group_id: str
    group_name: str
    person_id: str
    person_name: str
    organisation_id: str | None
    role: str


# -- meetings ---------------------------------------------------------------------------------


class MeetingScheduledV1(_Payload):
    meeting_id: str
    title: str
    group_name: str | None
    starts_at: datetime
    ends_at: datetime
    timezone: str
    place: str | None
    invitees: list[Invitee]
    group_id: str | None = None
    series_id: str | None = None


class MeetingRescheduledV1(_Payload):
    meeting_id: str
    title: str
    group_name: str | None
    group_id: str | None
    previous_starts_at: datetime
    starts_at: datetime
    ends_at: datetime
    timezone: str
    place: str | None
    invitees: list[Invitee]


class MeetingCancelledV1(_Payload):
    meeting_id: str
    title: str
    group_name: str | None
    group_id: str | None
    starts_at: datetime
    timezone: str
    reason: str | None
    invitees: list[Invitee]


class SeriesCreatedV1(_Payload):
    series_id: str
    group_id: str | None
    title: str
    meeting_ids: list[str]


class AttendanceRecordedV1(_Payload):
    meeting_id: str
    person_id: str
    status: str
    organisation_id: str | None


# -- minutes, decisions, action items ---------------------------------------------------------


class MinutesPublishedV1(_Payload):
    minutes_id: str
    meeting_id: str
    group_id: str | None
    title: str
    version_no: int
    published_at: datetime
    decision_count: int
    correction_note: str | None = None
    group_name: str | None = None
    meeting_starts_at: datetime | None = None
    # Always sent (the meeting's own zone); no default, so no zone is written here but the setting.
    timezone: str
    # Who should hear about it: the meeting's invitees, or else the group's members with an email.
    recipients: list[Invitee] = []


class DecisionRecordedV1(_Payload):
    meeting_id: str
    minutes_id: str
    group_id: str | None
    decision_no: int
    text: str
    section: str | None


class ActionItemV1(_Payload):
    action_item_id: str
    meeting_id: str
    group_id: str | None
    text: str
    owner_person_id: str | None
    owner_name: str | None
    owner_email: str | None
    due_date: date | None


class ActionItemClosedV1(_Payload):
    action_item_id: str
    meeting_id: str
    group_id: str | None
    status: str
    closed_in_meeting_id: str | None
    note: str | None


ORGANISATION_REGISTERED = event_type(
    "meetings.organisation.registered.v1",
    OrganisationChangedV1,
    aggregate="organisation",
    description="An organisation joined the registry.",
)
ORGANISATION_UPDATED = event_type(
    "meetings.organisation.updated.v1",
    OrganisationChangedV1,
    aggregate="organisation",
    description="An organisation's name or kind changed.",
)
PERSON_REGISTERED = event_type(
    "meetings.person.registered.v1",
    PersonChangedV1,
    aggregate="person",
    description="A person was added to the registry (with the organisation they belong to).",
)
PERSON_UPDATED = event_type(
    "meetings.person.updated.v1",
    PersonChangedV1,
    aggregate="person",
    description="A person's name, email or organisation changed.",
)
GROUP_CREATED = event_type(
    "meetings.group.created.v1",
    GroupCreatedV1,
    aggregate="group",
    description="A group (joint development, management or working group) was formed.",
)
MEMBER_ADDED = event_type(
    "meetings.membership.added.v1",
    MembershipChangedV1,
    aggregate="group",
    description="A person joined a group, representing an organisation.",
)
MEMBER_REMOVED = event_type(
    "meetings.membership.removed.v1",
    MembershipChangedV1,
    aggregate="group",
    description="A person left a group.",
)
MEETING_SCHEDULED = event_type(
    "meetings.meeting.scheduled.v1",
    MeetingScheduledV1,
    aggregate="meeting",
    description="A meeting was put in the calendar; invitees should hear about it.",
)
MEETING_RESCHEDULED = event_type(
    "meetings.meeting.rescheduled.v1",
    MeetingRescheduledV1,
    aggregate="meeting",
    description="A meeting moved to another time or place.",
)
MEETING_CANCELLED = event_type(
    "meetings.meeting.cancelled.v1",
    MeetingCancelledV1,
    aggregate="meeting",
    description="A meeting will not take place.",
)
SERIES_CREATED = event_type(
    "meetings.series.created.v1",
    SeriesCreatedV1,
    aggregate="series",
    description="A recurring series was set up; each of its meetings also has its own scheduled event.",
)
ATTENDANCE_RECORDED = event_type(
    "meetings.attendance.recorded.v1",
    AttendanceRecordedV1,
    aggregate="meeting",
    description="Someone's attendance at a meeting was recorded or changed.",
)
MINUTES_PUBLISHED = event_type(
    "meetings.minutes.published.v1",
    MinutesPublishedV1,
    aggregate="meeting",
    description="Minutes were published for the first time.",
)
MINUTES_CORRECTED = event_type(
    "meetings.minutes.corrected.v1",
    MinutesPublishedV1,
    aggregate="meeting",
    description="A corrected version of published minutes was published; correction_note says what changed.",
)
DECISION_RECORDED = event_type(
    "meetings.decision.recorded.v1",
    DecisionRecordedV1,
    aggregate="meeting",
    description="A decision entered the register with published minutes.",
)
ACTION_ITEM_ASSIGNED = event_type(
    "meetings.action_item.assigned.v1",
    ActionItemV1,
    aggregate="action_item",
    description="Someone was given an action item.",
)
ACTION_ITEM_DUE_SOON = event_type(
    "meetings.action_item.due_soon.v1",
    ActionItemV1,
    aggregate="action_item",
    description="An open action item is due within three days (emitted once per item).",
)
ACTION_ITEM_OVERDUE = event_type(
    "meetings.action_item.overdue.v1",
    ActionItemV1,
    aggregate="action_item",
    description="An open action item passed its due date (emitted once per item).",
)
ACTION_ITEM_CLOSED = event_type(
    "meetings.action_item.closed.v1",
    ActionItemClosedV1,
    aggregate="action_item",
    description="An action item was closed as done or dropped.",
)
