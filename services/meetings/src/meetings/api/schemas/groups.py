"""Request and response bodies for groups and their members."""

import uuid

from pydantic import BaseModel, Field

from meetings.api.schemas.input import Input
from meetings.model import GroupKind, MemberRole


class GroupCreate(Input):
    name: str = Field(min_length=1, max_length=200)
    kind: GroupKind
    description: str | None = Field(default=None, max_length=2000)
    parent_group_id: uuid.UUID | None = None


class GroupPublic(BaseModel):
    id: uuid.UUID
    name: str
    kind: str
    description: str | None
    parent_group_id: uuid.UUID | None
    member_count: int = 0


class MemberUpdate(Input):
    """PUT a membership: adds the person to the group, or changes what they represent and their role."""

    organisation_id: uuid.UUID | None = Field(
        default=None, description="The organisation the person represents here; by default their own"
    )
    role: MemberRole = "member"


class MemberPublic(BaseModel):
    group_id: uuid.UUID
    person_id: uuid.UUID
    person_name: str | None = None
    email: str | None = None
    organisation_id: uuid.UUID | None
    organisation_name: str | None = None
    role: str
