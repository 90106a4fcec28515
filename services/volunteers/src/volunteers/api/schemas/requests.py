"""Bodies of the request routes: asking for volunteers, what became of it, the ranked candidates."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from volunteers import matching
from volunteers.api.schemas.input import Input, Language, LongText, ShortText, Text
from volunteers.model import AssignmentStatus, NewRequest, OfferStatus, RequestSource, RequestStatus


class RequestCreate(Input):
    pool_id: uuid.UUID
    seats: int = Field(ge=1, le=200)
    starts_at: datetime
    ends_at: datetime
    place: ShortText = ""
    area: Text | None = None
    language: Language | None = None
    needs: LongText = ""
    unit: Text | None = None
    offers_per_place: int = Field(default=1, ge=1, le=20)
    # False: create it without asking anyone yet (POST .../offers asks later).
    offer_now: bool = True

    def to_domain(self) -> NewRequest:
        return NewRequest(
            pool_id=self.pool_id,
            seats=self.seats,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            place=self.place,
            area=self.area,
            language=self.language,
            needs=self.needs,
            unit=self.unit,
            offers_per_place=self.offers_per_place,
        )


class RequestCancel(Input):
    reason: ShortText | None = None


class AssignmentCreate(Input):
    volunteer_id: uuid.UUID


class AssignmentCancel(Input):
    reason: ShortText | None = None


class AssignmentPublic(BaseModel):
    id: uuid.UUID
    volunteer_id: uuid.UUID
    volunteer_name: str
    starts_at: datetime
    ends_at: datetime
    status: AssignmentStatus
    cancelled_by: str | None
    cancel_reason: str | None


class OfferPublic(BaseModel):
    id: uuid.UUID
    volunteer_id: uuid.UUID
    volunteer_name: str
    rank: int
    reason: str
    status: OfferStatus
    sent_at: datetime
    expires_at: datetime
    answered_at: datetime | None


class RequestSummary(BaseModel):
    id: uuid.UUID
    pool_id: uuid.UUID
    pool_key: str
    pool_name: str
    seats: int
    taken: int
    starts_at: datetime
    ends_at: datetime
    place: str
    status: RequestStatus
    requested_by: str
    requested_by_name: str | None
    source: RequestSource

    @classmethod
    def of(cls, row: dict[str, Any]) -> RequestSummary:
        return cls.model_validate(row)


class RequestPublic(RequestSummary):
    area: str | None
    language: str | None
    needs: str
    unit: str | None
    offers_per_place: int
    cancel_reason: str | None
    source_ref: str | None
    version: int
    created_at: datetime
    assignments: list[AssignmentPublic]
    # Only for the pool's coordinators (null for the one who only asked).
    offers: list[OfferPublic] | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> RequestPublic:
        return cls.model_validate(row)


class RankedPublic(BaseModel):
    volunteer_id: uuid.UUID
    name: str
    rank: int
    reason: str


class ExcludedPublic(BaseModel):
    volunteer_id: uuid.UUID
    name: str
    reasons: list[str]
    # The reasons' codes, in the same order (matching.ReasonCode, ":key" for a requirement's).
    codes: list[str]


class ReasonCountPublic(BaseModel):
    code: str
    reason: str
    count: int


class CandidatesPublic(BaseModel):
    """One page of the ranked and of the excluded (those with `reason`, if asked), with totals."""

    request_id: uuid.UUID
    ranked: list[RankedPublic]
    ranked_total: int
    excluded: list[ExcludedPublic]
    excluded_total: int
    # How many are excluded for each reason, most common first (one person can have several).
    excluded_by_reason: list[ReasonCountPublic]

    @classmethod
    def of(cls, request_id: uuid.UUID, result: matching.Result) -> CandidatesPublic:
        return cls(
            request_id=request_id,
            ranked=[
                RankedPublic(volunteer_id=r.volunteer_id, name=r.name, rank=r.rank, reason=r.reason)
                for r in result.ranked
            ],
            ranked_total=result.ranked_total,
            excluded=[
                ExcludedPublic(
                    volunteer_id=e.volunteer_id, name=e.name, reasons=list(e.reasons), codes=list(e.codes)
                )
                for e in result.excluded
            ],
            excluded_total=result.excluded_total,
            excluded_by_reason=[
                ReasonCountPublic(code=c.code, reason=c.reason, count=c.count) for c in result.by_reason
            ],
        )


class OffersSent(BaseModel):
    sent: int
