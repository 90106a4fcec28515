"""Full-text search over published minutes, with PostgreSQL's Swedish configuration.

The Swedish snowball stemmer keeps "mötet" as "mötet" and makes "mötena" "möten", while "möte"
becomes "möt"; so each search word is stemmed and matched as a prefix of the indexed lexemes
("möt:*"), and "möte" finds "mötet" and "mötena" too.
"""

from __future__ import annotations

import html
import uuid
from datetime import datetime
from typing import Any

import asyncpg

from backbone.paging import fetch_page
from meetings.model import search_terms
from meetings.sql_queries import q

Row = dict[str, Any]

_START, _STOP = "[[[", "]]]"


def highlight_html(headline: str) -> str:
    """The snippet as safe HTML: the text escaped, the hits in <mark>."""
    return html.escape(headline).replace(_START, "<mark>").replace(_STOP, "</mark>")


async def search(
    *,
    conn: asyncpg.Connection,
    text: str,
    group_id: uuid.UUID | None,
    start: datetime | None,
    end: datetime | None,
    limit: int,
    offset: int,
) -> tuple[list[Row], int]:
    terms = search_terms(text)
    if not terms:
        return [], 0
    tsquery = await q.stemmed_prefix_query.fetchval(conn, terms=terms)
    if not tsquery:
        return [], 0  # only stop words ("och", "att"): nothing to look for
    rows, total = await fetch_page(
        conn,
        q.search_minutes,
        tsquery=tsquery,
        group_id=group_id,
        start=start,
        end=end,
        limit=limit,
        offset=offset,
    )
    hits = []
    for hit in rows:
        headline = hit.pop("headline") or ""
        hit["snippet"] = headline.replace(_START, "").replace(_STOP, "")
        hit["snippet_html"] = highlight_html(headline)
        hits.append(hit)
    return hits, total
