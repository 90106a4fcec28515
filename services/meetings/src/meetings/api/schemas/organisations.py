"""Request and response bodies for organisations."""

import uuid

from pydantic import BaseModel, Field

from meetings.api.schemas.input import Input
from meetings.model import OrganisationKind


class OrganisationCreate(Input):
    name: str = Field(min_length=1, max_length=200)
    kind: OrganisationKind = "user_organisation"


class OrganisationUpdate(Input):
    version: int = Field(description="The version you read; 409 if someone changed it since")
    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: OrganisationKind | None = None


class OrganisationPublic(BaseModel):
    id: uuid.UUID
    name: str
    kind: str
    version: int
