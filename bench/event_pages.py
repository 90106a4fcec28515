"""Events under load (issue 9): the public event page through the gateway, and the iCalendar feed of
1,000 events, cold and answered 304.

The events are made through the events service's API (as staff would), published, and read back
through the gateway as a visitor reads them: no account, no cookie. The page is loaded by `wrk` as the
staff pages are (bench/pages.py). The feed is fetched one request at a time: cold (no validators,
so the service reads and writes all 1,000 entries) and with the ETag it gave (a 304).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bench import pages
from bench.report import Figure, at_most

EVENTS = 1_000
FEED = "/v1/public/feeds/events.ics"
COLD_RUNS = 10
CONDITIONAL_RUNS = 200
FEED_COLD_TARGET_MS = 50.0
PARALLEL = 16


async def seed(events_url: str, sign: Callable[[], dict[str, str]], count: int = EVENTS) -> str:
    """`count` published public events over the coming year; the id of the first."""
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    gate = asyncio.Semaphore(PARALLEL)
    async with httpx.AsyncClient(base_url=events_url, timeout=60) as client:

        async def one(n: int) -> str:
            begins = start + timedelta(hours=8 * n)
            body = {
                "title": f"Evenemang {n}",
                "kind": "lecture",
                "starts_at": begins.isoformat(),
                "ends_at": (begins + timedelta(hours=2)).isoformat(),
                "venue_name": "Stadsbiblioteket",
                "venue_address": "Kungsgatan 1, Lund",
                "description_sv": "En föreläsning om delaktighet, öppen för alla.",
                "capacity": 100,
            }
            async with gate:
                # Signed identities are short-lived: a fresh one per call.
                made = await client.post("/v1/events", json=body, headers=sign())
                made.raise_for_status()
                event_id = str(made.json()["id"])
                (await client.post(f"/v1/events/{event_id}/publish", headers=sign())).raise_for_status()
            return event_id

        ids = await asyncio.gather(*(one(n) for n in range(count)))
    return ids[0]


async def feed_timings(
    events_url: str, sign: Callable[[], dict[str, str]]
) -> tuple[list[float], list[float], int]:
    """Milliseconds of each cold fetch and of each conditional one, and the feed's size in bytes."""
    cold: list[float] = []
    conditional: list[float] = []
    async with httpx.AsyncClient(base_url=events_url, headers=sign(), timeout=60) as client:
        size = 0
        tag = ""
        for _ in range(COLD_RUNS):
            began = time.perf_counter()
            answer = await client.get(FEED)
            cold.append((time.perf_counter() - began) * 1000)
            if answer.status_code != 200:
                raise RuntimeError(f"the feed answered {answer.status_code}: not measured")
            size, tag = len(answer.content), answer.headers["ETag"]
        for _ in range(CONDITIONAL_RUNS):
            began = time.perf_counter()
            answer = await client.get(FEED, headers={"If-None-Match": tag})
            conditional.append((time.perf_counter() - began) * 1000)
            if answer.status_code != 304:
                raise RuntimeError(f"a conditional GET answered {answer.status_code}: not measured")
    return cold, conditional, size


async def measure(
    *,
    events_url: str,
    gateway_url: str,
    sign: Callable[[], dict[str, str]],
    seconds: float,
    connections: int,
) -> tuple[list[Figure], dict[str, object]]:
    first = await seed(events_url, sign)
    page_url = f"{gateway_url}/evenemang/{first}"
    await pages.check_page(page_url, "", "Evenemang 0")
    run = pages.load("event_page", page_url, seconds=seconds, connections=connections)
    if run.not_ok or run.socket_errors:
        raise SystemExit(
            f"The events page bench is not valid: {run.not_ok} answers other than 200 and "
            f"{run.socket_errors} socket errors."
        )
    cold, conditional, size = await feed_timings(events_url, sign)
    cold_ms = statistics.median(cold)
    figures = [
        # No target of its own: the rate a visitor's event page reaches, to compare runs by.
        Figure(name="event_page", value=round(run.per_second, 1), unit="pages/s"),
        at_most("feed_ics_1000_cold", cold_ms, "ms", FEED_COLD_TARGET_MS),
        Figure(name="feed_ics_304", value=round(statistics.median(conditional), 2), unit="ms"),
    ]
    details: dict[str, Any] = {
        "events": EVENTS,
        "page": {**asdict(run), "per_second": round(run.per_second, 1)},
        "feed_bytes": size,
        "feed_cold_ms": [round(v, 1) for v in cold],
        "feed_304_ms_median": round(statistics.median(conditional), 2),
        "feed_304_ms_p99": round(sorted(conditional)[int(len(conditional) * 0.99) - 1], 2),
        "note": "one request at a time; the 304 rate against the ceiling under load is not measured yet",
    }
    return figures, details
