"""Response bodies of working-group reports across published minutes."""

import uuid
from datetime import datetime

from pydantic import BaseModel


class WorkingGroupReport(BaseModel):
    minutes_id: uuid.UUID
    meeting_id: uuid.UUID
    starts_at: datetime
    minutes_title: str
    heading: str
    text: str
    working_group_id: uuid.UUID | None
    working_group_name: str | None
