"""Request and response bodies for people."""

import uuid

from pydantic import BaseModel, EmailStr, Field

from meetings.api.schemas.input import Input


class PersonCreate(Input):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr | None = None
    organisation_id: uuid.UUID | None = None


class PersonUpdate(Input):
    version: int
    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: EmailStr | None = None
    organisation_id: uuid.UUID | None = None


class PersonPublic(BaseModel):
    id: uuid.UUID
    name: str
    email: str | None
    organisation_id: uuid.UUID | None
    organisation_name: str | None = None
    version: int
