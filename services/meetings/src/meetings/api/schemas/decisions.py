"""Response bodies of the decisions register."""

import uuid
from datetime import datetime

from pydantic import BaseModel


class DecisionEntry(BaseModel):
    minutes_id: uuid.UUID
    meeting_id: uuid.UUID
    group_id: uuid.UUID | None
    group_name: str | None
    starts_at: datetime
    minutes_title: str
    decision_no: int
    text: str
    section: str | None
