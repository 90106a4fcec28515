"""Response bodies of full-text search."""

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class SearchHit(BaseModel):
    minutes_id: uuid.UUID
    meeting_id: uuid.UUID
    group_id: uuid.UUID | None
    group_name: str | None
    starts_at: datetime
    title: str
    version_no: int
    rank: float
    snippet: str
    snippet_html: str = Field(description="The snippet escaped as HTML, hits wrapped in <mark>")
