"""Request and response bodies for action items."""

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

from meetings import action_items
from meetings.api.schemas.input import Input
from meetings.model import ClosedActionStatus


class ActionItemCreate(Input):
    text: str = Field(min_length=1, max_length=2000)
    owner_person_id: uuid.UUID | None = None
    owner_name: str | None = Field(
        default=None, max_length=200, description="When the owner is not registered"
    )
    due_date: date | None = None

    def to_domain(self) -> action_items.ActionItem:
        return self._into(action_items.ActionItem)


class ActionItemUpdate(ActionItemCreate):
    version: int


class ActionItemClose(Input):
    version: int
    status: ClosedActionStatus
    closed_in_meeting_id: uuid.UUID | None = Field(
        default=None, description="The meeting where it was closed"
    )
    note: str | None = Field(default=None, max_length=2000)


class ActionItemPublic(BaseModel):
    id: uuid.UUID
    meeting_id: uuid.UUID
    group_id: uuid.UUID | None
    text: str
    owner_person_id: uuid.UUID | None
    owner_name: str | None
    due_date: date | None
    status: str
    closed_in_meeting_id: uuid.UUID | None
    closing_note: str | None
    closed_at: datetime | None
    version: int
