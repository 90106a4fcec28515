"""Bodies of the pool routes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from volunteers.api.schemas.input import Input, Key, LongText, ShortText, Text
from volunteers.model import NewPool, NewRequirement, PoolStatus, RequirementKind
from volunteers.pools import PoolChanges


class RequirementCreate(Input):
    key: Key
    kind: RequirementKind
    label: Text
    # True for a certificate that is valid only until a date (a record check).
    expires: bool = False

    def to_domain(self) -> NewRequirement:
        return NewRequirement(key=self.key, kind=self.kind, label=self.label, expires=self.expires)


class RequirementPublic(BaseModel):
    id: uuid.UUID
    key: str
    kind: RequirementKind
    label: str
    expires: bool


class PoolCreate(Input):
    key: Key
    name: Text
    description: LongText = ""
    coordinator_subject: ShortText | None = None
    coordinator_name: ShortText | None = None
    monthly_cap: int = Field(default=4, ge=1, le=31)
    offer_hours: int = Field(default=48, ge=1, le=24 * 14)
    paid: bool = False
    requirements: list[RequirementCreate] = Field(default_factory=list, max_length=20)

    def to_domain(self) -> NewPool:
        return NewPool(
            key=self.key,
            name=self.name,
            description=self.description,
            coordinator_subject=self.coordinator_subject,
            coordinator_name=self.coordinator_name,
            monthly_cap=self.monthly_cap,
            offer_hours=self.offer_hours,
            paid=self.paid,
            requirements=tuple(r.to_domain() for r in self.requirements),
        )


class PoolUpdate(Input):
    """The whole pool as it should be, with the version it was read at."""

    version: int
    name: Text
    description: LongText = ""
    coordinator_subject: ShortText | None = None
    coordinator_name: ShortText | None = None
    monthly_cap: int = Field(ge=1, le=31)
    offer_hours: int = Field(ge=1, le=24 * 14)
    paid: bool = False
    status: PoolStatus = "active"

    def to_domain(self) -> PoolChanges:
        return PoolChanges(
            name=self.name,
            description=self.description,
            coordinator_subject=self.coordinator_subject,
            coordinator_name=self.coordinator_name,
            monthly_cap=self.monthly_cap,
            offer_hours=self.offer_hours,
            paid=self.paid,
            status=self.status,
        )


class PoolPublic(BaseModel):
    id: uuid.UUID
    key: str
    name: str
    description: str
    coordinator_subject: str | None
    coordinator_name: str | None
    monthly_cap: int
    offer_hours: int
    paid: bool
    status: PoolStatus
    version: int
    created_at: datetime
    requirements: list[RequirementPublic]
    # Members per membership status ("active": 7, "applied": 1).
    members: dict[str, int]

    @classmethod
    def of(cls, row: dict[str, Any]) -> PoolPublic:
        return cls.model_validate(row)
