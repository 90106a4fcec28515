"""Request and response bodies for a meeting's agenda."""

import uuid

from pydantic import BaseModel, Field

from meetings import agendas
from meetings.api.schemas.action_items import ActionItemPublic
from meetings.api.schemas.input import Input
from meetings.model import AgendaKind


class AgendaItemCreate(Input):
    """An agenda item, added (POST) or changed (PUT; `position` is then left as it is)."""

    title: str = Field(min_length=1, max_length=300)
    kind: AgendaKind = "other"
    duration_minutes: int | None = Field(default=None, ge=1, le=600)
    responsible_person_id: uuid.UUID | None = None
    responsible_group_id: uuid.UUID | None = None
    guests: list[str] = Field(default_factory=list, max_length=50, description="Invited guests of a theme")
    description: str | None = Field(default=None, max_length=5000)
    position: int | None = Field(default=None, ge=1, description="1-based; the end when absent")

    def to_domain(self) -> agendas.AgendaItem:
        return self._into(agendas.AgendaItem)


class AgendaOrderUpdate(Input):
    item_ids: list[uuid.UUID]


class AgendaItemPublic(BaseModel):
    id: uuid.UUID
    position: int
    title: str
    kind: str
    duration_minutes: int | None
    responsible_person_id: uuid.UUID | None
    responsible_person_name: str | None = None
    responsible_group_id: uuid.UUID | None
    responsible_group_name: str | None = None
    guests: list[str]
    description: str | None


class AgendaPublic(BaseModel):
    meeting_id: uuid.UUID
    items: list[AgendaItemPublic]
    open_action_items: list[ActionItemPublic] = Field(
        description="Open action items from the group's earlier meetings, followed up at this one"
    )
    total_minutes: int
