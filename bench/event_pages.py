"""Events under load (issue 9): the public event page through the gateway, and the iCalendar feed of
1,000 events, cold and answered 304.

The events are made through the events service's API (as staff would), published, and read back
through the gateway as a visitor reads them: no account, no cookie. The page is loaded by `wrk` as the
staff pages are (bench/pages.py). The feed is fetched from the events service one request at a time:
- first: the first request after the service started, when no entry is written yet (once);
- cold: right after an event of the feed was changed through the API, with no validators, so the
  service reads the feed's events again and writes it anew (the entries of the 999 unchanged events
  come from the ones it wrote before, events.feeds.Entries). This is what a calendar client meets
  that subscribes, or whose copy is out of date, on a feed that changes;
- kept: again with nothing changed (the written feed is kept until an event is written);
and then answered 304 under load: `wrk` with the ETag it gave, beside the bare FastAPI ceiling
(bench/ceiling_app.py) loaded the same way, in the same run. On a shared machine the rates move with
the other work on it; the ratio to the ceiling and the CPU milliseconds per answer hardly do.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench import pages
from bench.report import Figure, against_ceiling, at_most, ceiling
from bench.stages import CpuMeter

EVENTS = 1_000
FEED = "/v1/public/feeds/events.ics"
COLD_RUNS = 10
KEPT_RUNS = 20
FEED_COLD_TARGET_MS = 50.0
# Issue 9: a conditional GET answered 304 at least half the bare FastAPI ceiling's rate.
FEED_304_TARGET_RATIO = 0.5
CEILING = "fastapi_asyncpg_pk"
PARALLEL = 16


async def seed(events_url: str, sign: Callable[[], dict[str, str]], count: int = EVENTS) -> str:
    """`count` published public events over the coming year; the id of the first."""
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    gate = asyncio.Semaphore(PARALLEL)
    # Connections idle for a second are dropped: the service closes them after five, and a request sent
    # on one as it closes fails (seen on a loaded machine as httpx.ReadError).
    limits = httpx.Limits(keepalive_expiry=1.0)
    async with httpx.AsyncClient(base_url=events_url, timeout=60, limits=limits) as client:

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


@dataclass(frozen=True)
class FeedTimings:
    """Milliseconds of each fetch, by kind (see the module's text), the feed's size and its ETag."""

    first_ms: float
    cold: list[float]
    kept: list[float]
    cpu_ms_cold: dict[str, float]
    size: int
    tag: str


async def feed_timings(
    events_url: str, sign: Callable[[], dict[str, str]], event_id: str, processes: dict[str, int]
) -> FeedTimings:
    async with httpx.AsyncClient(base_url=events_url, timeout=60) as client:

        async def fetch() -> httpx.Response:
            began = time.perf_counter()
            answer = await client.get(FEED, headers=sign())
            elapsed.append((time.perf_counter() - began) * 1000)
            if answer.status_code != 200:
                raise RuntimeError(f"the feed answered {answer.status_code}: not measured")
            return answer

        elapsed: list[float] = []
        await fetch()
        first = elapsed.pop()
        meter = CpuMeter(processes, with_children={"postgres"})
        used = {name: 0.0 for name in processes}
        for n in range(COLD_RUNS):
            changed = await client.patch(
                f"/v1/events/{event_id}", json={"title": f"Evenemang 0 (ändrat {n + 1})"}, headers=sign()
            )
            changed.raise_for_status()
            meter.start()
            answer = await fetch()
            for name, seconds in meter.stop().items():
                if name in used:
                    used[name] += seconds
            if f"ändrat {n + 1}".encode() not in answer.content:
                raise RuntimeError("the feed did not show the change just made: not measured")
        cold, elapsed = elapsed, []
        for _ in range(KEPT_RUNS):
            answer = await fetch()
        return FeedTimings(
            first_ms=first,
            cold=cold,
            kept=elapsed,
            cpu_ms_cold={name: round(seconds * 1000 / COLD_RUNS, 2) for name, seconds in used.items()},
            size=len(answer.content),
            tag=answer.headers["ETag"],
        )


def load_304(url: str, headers: dict[str, str], *, seconds: float, connections: int,
             meter: CpuMeter) -> pages.PageRun:
    """As pages.load, with `headers` and every answer expected to be a 304."""
    return pages.load("feed_ics_304", url, seconds=seconds, connections=connections, meter=meter,
                      headers=headers, status=304)


async def ceiling_row(dsn: str) -> str:
    """A row for the ceiling's primary-key SELECT; a few meetings are written when there are none
    (a run of this bench alone starts with an empty meetings database)."""
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchval(pages.q.ceiling_row.sql)
    finally:
        await conn.close()
    if row is None:
        await pages.seed(dsn, pages.Volume(organisations=20, people=100, meetings=200))
        return await ceiling_row(dsn)
    return str(row)


async def measure(
    *,
    events_url: str,
    gateway_url: str,
    sign: Callable[[], dict[str, str]],
    seconds: float,
    connections: int,
    ceiling_dsn: str,
    ceiling_log: Path,
    processes: dict[str, int],
) -> tuple[list[Figure], dict[str, object]]:
    """`processes`: the events service's and PostgreSQL's, for the CPU each answer costs."""
    first = await seed(events_url, sign)
    page_url = f"{gateway_url}/evenemang/{first}"
    await pages.check_page(page_url, "", "Evenemang 0")
    run = pages.load("event_page", page_url, seconds=seconds, connections=connections)
    if run.not_ok or run.socket_errors:
        raise SystemExit(
            f"The events page bench is not valid: {run.not_ok} answers other than 200 and "
            f"{run.socket_errors} socket errors."
        )
    feed = await feed_timings(events_url, sign, first, processes)
    row = await ceiling_row(ceiling_dsn)
    with pages.ceiling_server(ceiling_dsn, ceiling_log) as ceiling_url:
        top = pages.load(CEILING, f"{ceiling_url}/meetings/{row}", seconds=seconds, connections=connections)
    # One signed identity for the whole load: it holds for a minute, and the service verifies it once.
    meter = CpuMeter(processes, with_children={"postgres"})
    conditional = load_304(f"{events_url}{FEED}", {**sign(), "If-None-Match": feed.tag},
                           seconds=seconds, connections=connections, meter=meter)
    bad = [r for r in (top, conditional) if r.not_ok or r.socket_errors]
    if bad:
        raise SystemExit("The feed bench is not valid: " + "; ".join(
            f"{r.name} had {r.not_ok} unexpected answers and {r.socket_errors} socket errors" for r in bad))
    ceil = ceiling(CEILING, top.per_second, "req/s")
    cold_ms = statistics.median(feed.cold)
    figures = [
        # No target of its own: the rate a visitor's event page reaches, to compare runs by.
        Figure(name="event_page", value=round(run.per_second, 1), unit="pages/s"),
        at_most("feed_ics_1000_cold", cold_ms, "ms", FEED_COLD_TARGET_MS),
        ceil,
        against_ceiling("feed_ics_304", conditional.per_second, "answers/s", ceil, FEED_304_TARGET_RATIO),
    ]
    details: dict[str, Any] = {
        "events": EVENTS,
        "page": {**asdict(run), "per_second": round(run.per_second, 1)},
        "feed_bytes": feed.size,
        "feed_first_ms": round(feed.first_ms, 1),
        "feed_cold_ms": [round(v, 1) for v in feed.cold],
        "feed_cold_cpu_ms": feed.cpu_ms_cold,
        "feed_kept_ms_median": round(statistics.median(feed.kept), 2),
        "feed_304": {**asdict(conditional), "per_second": round(conditional.per_second, 1)},
        "ceiling": {**asdict(top), "per_second": round(top.per_second, 1)},
        "note": "cold: after a change of one event, no validators; the 304s straight at the events "
        "service (a calendar client reaches it through the gateway's /feeds, which is not measured here)",
    }
    for line in (
        f"feed first (nothing written yet): {feed.first_ms:,.1f} ms; cold median {cold_ms:,.1f} ms "
        f"(CPU ms per answer: {feed.cpu_ms_cold}); kept median {statistics.median(feed.kept):,.1f} ms",
        f"{CEILING}: {top.per_second:,.1f}/s, p50 {top.p50_ms:,.1f} ms; feed_ics_304: "
        f"{conditional.per_second:,.1f}/s, p50 {conditional.p50_ms:,.1f} ms, "
        f"CPU ms per answer: {conditional.cpu_ms_per_page}",
    ):
        print(line)
    return figures, details
