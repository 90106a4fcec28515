"""Bodies and answers of the routes for fees, hours, the fee report, plain-language reviews and
rights requests. Limits that are rules (how long a text may be, what a period may overlap) are the
use cases'; these models only say what shape a body has."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field

from volunteers.api.schemas.input import Input, LongText, Text, _printable
from volunteers.api.schemas.links import LinkToken
from volunteers.fees import NewFee
from volunteers.hours import HoursEntry
from volunteers.reports import Chart
from volunteers.reviews import NewReview, ReviewAnswer, ReviewKind, ReviewStatus
from volunteers.rights import AnswerStatus, RightsKind

# A text to review: any length the body limit lets through; the use case says when it is too long.
ReviewText = Annotated[str, AfterValidator(_printable)]
Minutes = Annotated[int, Field(description="Minutes worked; the use case says what it accepts")]
HoursStatus = Literal["proposed", "approved", "rejected"]


# Fees


class FeeCreate(Input):
    hourly_fee: Annotated[Decimal, Field(max_digits=10, decimal_places=2, description="Kronor per hour")]
    valid_from: date
    valid_until: date | None = Field(
        default=None, description="The last day it applies (included); none: until further notice"
    )

    def to_domain(self) -> NewFee:
        return NewFee(hourly_fee=self.hourly_fee, valid_from=self.valid_from, valid_until=self.valid_until)


class FeeEnd(Input):
    valid_until: date


class FeePublic(BaseModel):
    id: uuid.UUID
    pool_id: uuid.UUID
    hourly_fee: Decimal
    valid_from: date
    valid_until: date | None
    created_by: str
    created_at: datetime


# Hours


class HoursLog(Input):
    minutes: Minutes
    note: LongText = ""
    work_date: date | None = Field(
        default=None, description="The local day of the work; the assignment's own day when left out"
    )

    def to_domain(self) -> HoursEntry:
        return HoursEntry(minutes=self.minutes, note=self.note, work_date=self.work_date)


class HoursProposal(LinkToken):
    minutes: Minutes
    note: LongText = ""

    def to_domain(self) -> HoursEntry:
        return HoursEntry(minutes=self.minutes, note=self.note)


class HoursApprove(Input):
    version: int | None = None
    minutes: Minutes | None = Field(default=None, description="Corrected minutes, if the proposal was wrong")


class HoursReject(Input):
    reason: LongText
    version: int | None = None


class HoursPublic(BaseModel):
    id: uuid.UUID
    assignment_id: uuid.UUID | None
    review_reviewer_id: uuid.UUID | None
    volunteer_id: uuid.UUID
    volunteer_name: str
    pool_id: uuid.UUID
    pool_name: str
    work_date: date
    minutes: int
    note: str
    status: HoursStatus
    proposed_by: Literal["staff", "volunteer"]
    logged_by: str | None
    decided_by: str | None
    decided_at: datetime | None
    reject_reason: str | None
    version: int
    created_at: datetime


class HoursLinkIssued(BaseModel):
    token: str
    expires_at: datetime


class HoursForVolunteer(BaseModel):
    """Hours already reported through the link: the volunteer sees their own only."""

    minutes: int
    status: HoursStatus
    reject_reason: str | None


class HoursLinkView(BaseModel):
    pool_name: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    assignment_status: str
    # None: nothing standing (never reported, or the last report was rejected and may be sent again).
    reported: HoursForVolunteer | None


class HoursProposed(BaseModel):
    detail: str
    minutes: int
    status: HoursStatus


# The fee report and the chart


class SumPublic(BaseModel):
    minutes: int
    hours: Decimal
    amount: Decimal


class LinePublic(SumPublic):
    pool_id: uuid.UUID
    pool_name: str
    hourly_fee: Decimal | None


class PersonPublic(SumPublic):
    volunteer_id: uuid.UUID
    name: str
    erased: bool
    lines: list[LinePublic]


class PoolTotalPublic(SumPublic):
    pool_id: uuid.UUID
    pool_name: str


class MissingFeePublic(BaseModel):
    pool_id: uuid.UUID
    pool_name: str
    minutes: int


class FeeReportPublic(BaseModel):
    """The shape of the report's JSON (built by reports.report_document, not through this model)."""

    month: str = Field(description="YYYY-MM")
    people: list[PersonPublic]
    pools: list[PoolTotalPublic]
    total: SumPublic
    missing_fees: list[MissingFeePublic]


class SeriesPublic(BaseModel):
    pool_id: uuid.UUID
    pool_name: str
    minutes: list[int]
    hours: list[Decimal]


class ChartPublic(BaseModel):
    months: list[str] = Field(description="YYYY-MM, oldest first; each series has one number per month")
    series: list[SeriesPublic]

    @classmethod
    def of(cls, chart: Chart) -> ChartPublic:
        return cls(
            months=chart.months,
            series=[
                SeriesPublic(pool_id=s.pool_id, pool_name=s.pool_name, minutes=s.minutes, hours=s.hours)
                for s in chart.series
            ],
        )


# Plain-language reviews


class ReviewCreate(Input):
    pool_id: uuid.UUID
    kind: ReviewKind
    title: Text
    text: ReviewText
    deadline: date
    reviewer_ids: list[uuid.UUID] = Field(description="Active members of the pool who review the text")

    def to_domain(self) -> NewReview:
        return NewReview(
            pool_id=self.pool_id,
            kind=self.kind,
            title=self.title,
            text=self.text,
            deadline=self.deadline,
            reviewer_ids=tuple(self.reviewer_ids),
        )


class ReviewReturn(LinkToken):
    comments: ReviewText = ""
    suggested_text: ReviewText = ""
    minutes: Minutes | None = None

    def to_domain(self) -> ReviewAnswer:
        return ReviewAnswer(comments=self.comments, suggested_text=self.suggested_text, minutes=self.minutes)


class ReviewDecision(Input):
    accept: bool
    reason: LongText = ""
    reviewer_id: uuid.UUID | None = Field(
        default=None, description="Whose suggestion is accepted (a volunteer id), when several answered"
    )


class ReviewSummary(BaseModel):
    id: uuid.UUID
    pool_id: uuid.UUID
    kind: ReviewKind
    title: str
    original_lix: Decimal
    deadline: date
    status: ReviewStatus
    submitted_by_name: str | None
    reviewers: int
    returned: int
    version: int
    created_at: datetime


class ReviewerPublic(BaseModel):
    id: uuid.UUID
    volunteer_id: uuid.UUID
    volunteer_name: str
    status: Literal["assigned", "returned"]
    comments: str | None
    suggested_text: str | None
    suggested_lix: Decimal | None
    lix_change: Decimal | None = Field(description="suggested_lix - original_lix; below zero: easier to read")
    returned_at: datetime | None
    hours_id: uuid.UUID | None


class ReviewPublic(BaseModel):
    id: uuid.UUID
    pool_id: uuid.UUID
    kind: ReviewKind
    title: str
    original_text: str
    original_lix: Decimal
    deadline: date
    status: ReviewStatus
    submitted_by: str
    submitted_by_name: str | None
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    accepted_reviewer_id: uuid.UUID | None
    reviewers: list[ReviewerPublic]
    version: int
    created_at: datetime


class ReviewLinkView(BaseModel):
    review_id: uuid.UUID
    title: str
    kind: str
    text: str
    deadline: date
    original_lix: Decimal
    returned: bool
    comments: str | None
    suggested_text: str | None
    suggested_lix: Decimal | None


class ReviewReturned(BaseModel):
    detail: str
    original_lix: Decimal
    suggested_lix: Decimal | None
    lix_change: Decimal | None


# Rights requests


class RightsCreate(Input):
    kind: RightsKind
    volunteer_id: uuid.UUID


class RightsAnswerPublic(BaseModel):
    service: str
    status: AnswerStatus
    detail: str
    answered_at: datetime
    has_data: bool


class RightsRequestSummary(BaseModel):
    id: uuid.UUID
    kind: RightsKind
    volunteer_id: uuid.UUID
    services: list[str]
    status: Literal["waiting", "complete", "failed"]
    requested_by: str
    created_at: datetime
    completed_at: datetime | None
    waiting_for: list[str]


class RightsRequestPublic(RightsRequestSummary):
    answers: list[RightsAnswerPublic]
