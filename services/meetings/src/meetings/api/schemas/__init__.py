"""HTTP schemas of the meetings API, one module per resource (kept apart from bus payloads and domain rules).

Request bodies are `XCreate` / `XUpdate` (and an action's own, such as `MeetingCancel`), each with a
`to_domain()` where a use case takes more than ids and versions; responses are `XPublic` and `Page[X]`.
"""

from backbone.paging import Page
from meetings.api.schemas.action_items import (
    ActionItemClose,
    ActionItemCreate,
    ActionItemPublic,
    ActionItemUpdate,
)
from meetings.api.schemas.agendas import AgendaItemCreate, AgendaItemPublic, AgendaOrderUpdate, AgendaPublic
from meetings.api.schemas.attendance import (
    AttendanceCount,
    AttendancePublic,
    AttendanceStatistics,
    AttendanceUpdate,
    GuestCreate,
    RollCallEntry,
    RollCallMarkUpdate,
    RollCallPublic,
    RollCallUpdate,
)
from meetings.api.schemas.decisions import DecisionEntry
from meetings.api.schemas.groups import GroupCreate, GroupPublic, MemberPublic, MemberUpdate
from meetings.api.schemas.imports import (
    ImportCreate,
    ImportPublic,
    ImportSummary,
    ImportUpdate,
    ReviewedActionItem,
    ReviewedAttendee,
    ReviewedSection,
)
from meetings.api.schemas.meetings import (
    InviteeCreate,
    InviteePublic,
    MeetingCancel,
    MeetingCreate,
    MeetingPage,
    MeetingPublic,
    MeetingUpdate,
)
from meetings.api.schemas.minutes import (
    DecisionCreate,
    DecisionPublic,
    MinutesAction,
    MinutesCorrectionCreate,
    MinutesCreate,
    MinutesPublic,
    MinutesSummary,
    MinutesUpdate,
    MinutesVersion,
    SectionCreate,
    SectionPublic,
)
from meetings.api.schemas.organisations import OrganisationCreate, OrganisationPublic, OrganisationUpdate
from meetings.api.schemas.people import PersonCreate, PersonPublic, PersonUpdate
from meetings.api.schemas.reports import WorkingGroupReport
from meetings.api.schemas.search import SearchHit
from meetings.api.schemas.series import RecurrenceCreate, SeriesCreate, SeriesPublic

__all__ = [
    "ActionItemClose",
    "ActionItemCreate",
    "ActionItemPublic",
    "ActionItemUpdate",
    "AgendaItemCreate",
    "AgendaItemPublic",
    "AgendaOrderUpdate",
    "AgendaPublic",
    "AttendanceCount",
    "AttendancePublic",
    "AttendanceStatistics",
    "AttendanceUpdate",
    "DecisionCreate",
    "DecisionEntry",
    "DecisionPublic",
    "GroupCreate",
    "GroupPublic",
    "GuestCreate",
    "ImportCreate",
    "ImportPublic",
    "ImportSummary",
    "ImportUpdate",
    "InviteeCreate",
    "InviteePublic",
    "MeetingCancel",
    "MeetingCreate",
    "MeetingPage",
    "MeetingPublic",
    "MeetingUpdate",
    "MemberPublic",
    "MemberUpdate",
    "MinutesAction",
    "MinutesCorrectionCreate",
    "MinutesCreate",
    "MinutesPublic",
    "MinutesSummary",
    "MinutesUpdate",
    "MinutesVersion",
    "OrganisationCreate",
    "OrganisationPublic",
    "OrganisationUpdate",
    "Page",
    "PersonCreate",
    "PersonPublic",
    "PersonUpdate",
    "RecurrenceCreate",
    "ReviewedActionItem",
    "ReviewedAttendee",
    "ReviewedSection",
    "RollCallEntry",
    "RollCallMarkUpdate",
    "RollCallPublic",
    "RollCallUpdate",
    "SearchHit",
    "SectionCreate",
    "SectionPublic",
    "SeriesCreate",
    "SeriesPublic",
    "WorkingGroupReport",
]
