"""The events the meetings service publishes, with their payloads (the publisher owns them)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from backbone.contracts import event_type


class Invitee(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    email: str


class MeetingScheduledV1(BaseModel):
    model_config = ConfigDict(extra="forbid")
    meeting_id: str
    title: str
    group_name: str | None
    starts_at: datetime
    ends_at: datetime
    timezone: str
    place: str | None
    invitees: list[Invitee]


MEETING_SCHEDULED = event_type(
    "meetings.meeting.scheduled.v1",
    MeetingScheduledV1,
    aggregate="meeting",
    description="A meeting was put in the calendar; invitees should hear about it.",
)

__all__ = ["Invitee", "MEETING_SCHEDULED", "MeetingScheduledV1"]
