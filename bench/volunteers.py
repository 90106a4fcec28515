"""Matching and offer clicks of the volunteers service (issue 10), on the bench's PostgreSQL.

Seeds a volunteers database of its own: one pool of 5,000 volunteers who meet its requirements
(a few with an expired certificate, absent, booked at the time, clients of the unit), 50,000 past
assignments over the year before, weekly patterns and consent. Then:

- matching: one request matched against the whole pool, the way the candidates route does it (every
  member judged and ranked in SQL, the route's first page of 50 ranked and 50 excluded read back and
  phrased, the counts per reason), run after run; p99 at most 100 ms. The HTTP hop is not in it.
  Beside it, in the same run: the CPU one match costs PostgreSQL's backend and this process, and a
  floor, the plain read of what any exact matching must read (the pool's members and their year of
  assignments), so that a run on a loaded machine can be judged by its ratio to the floor.
- offer clicks: a request for 20 places offered to 200 candidates, and all 200 accept links
  answered at once (the use case behind `POST /v1/links/offer`, on a pool of 50 connections):
  exactly 20 accepted, the other 180 told the places are taken, nobody booked twice.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg

from backbone.db import create_pool
from backbone.errors import RuleError
from backbone.migrations import backbone_migrations, ensure_database, migrate, read_migrations
from backbone.queries import Queries
from backbone.settings import ServiceSettings
from bench.report import Figure, at_most
from volunteers import candidates, matching, offers
from volunteers.links import Signer
from volunteers.model import Full
from volunteers.settings import DEVELOPMENT_LINK_SECRET, MIGRATIONS_DIR
from volunteers.sql_queries import q as service_queries

q = Queries(Path(__file__).parent / "sql")
DATABASE = "volunteers_matching_bench"
MATCHING_P99_TARGET_MS = 100.0
# What the candidates route reads back when no page is asked for (api/requests.py).
ROUTE_PAGE = matching.Page(ranked_limit=50, excluded_limit=50)
ZONE = ZoneInfo(ServiceSettings.model_fields["timezone"].default)


@dataclass(frozen=True)
class Volume:
    volunteers: int = 5_000
    runs: int = 100
    places: int = 20
    clicks: int = 200


def _next_monday_at_ten() -> datetime:
    today = datetime.now(ZONE).date()
    monday = today + timedelta(days=7 - today.weekday())
    return datetime(monday.year, monday.month, monday.day, 10, tzinfo=ZONE).astimezone(UTC)


async def seed(dsn: str, volume: Volume, pool_id: uuid.UUID, starts: datetime) -> dict[str, int]:
    await ensure_database(dsn)
    await migrate(dsn, backbone_migrations() + read_migrations("volunteers", MIGRATIONS_DIR))
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.execute(q.bench_pool.sql, pool_id)
            await conn.execute(q.bench_requirements.sql, pool_id)
            await conn.execute(q.bench_volunteers.sql, volume.volunteers, pool_id)
            await conn.execute(q.bench_profiles.sql, starts)
            await conn.execute(q.bench_history.sql, pool_id, starts - timedelta(days=1))
            await conn.execute(q.bench_busy.sql, pool_id, starts)
        await conn.execute("VACUUM ANALYZE")
        row = await conn.fetchrow(q.bench_volume.sql)
        return dict(row) if row else {}
    finally:
        await conn.close()


def _ctx(signer: Signer) -> offers.Context:
    return offers.Context(signer=signer, zone=ZONE, now=datetime.now(UTC))


async def _new_request(
    conn: asyncpg.Connection, pool_id: uuid.UUID, starts: datetime, seats: int, per: int
) -> uuid.UUID:
    request_id = uuid.uuid4()
    await conn.execute(q.bench_request.sql, request_id, pool_id, seats, starts, per)
    return request_id


def cpu_ms(pid: int) -> float | None:
    """CPU time of a process on this machine (PostgreSQL's backend for this connection), in ms."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


async def measure_matching(
    pool: asyncpg.Pool, pool_id: uuid.UUID, starts: datetime, volume: Volume
) -> tuple[list[float], dict[str, object]]:
    async with pool.acquire() as conn:
        request_id = await _new_request(conn, pool_id, starts, 2, 1)
        request = dict(await service_queries.get_request.fetchrow(conn, id=request_id))
        backend = int(await conn.fetchval("SELECT pg_backend_pid()"))
        timings: list[float] = []
        floor: list[float] = []
        result = None
        server_before, own_before = cpu_ms(backend), time.process_time()
        for _ in range(volume.runs):
            started = time.perf_counter()
            result = await candidates.match_request(conn, request, zone=ZONE, window_days=90, page=ROUTE_PAGE)
            timings.append((time.perf_counter() - started) * 1000)
        server_after, own_after = cpu_ms(backend), time.process_time()
        for _ in range(volume.runs // 4):
            started = time.perf_counter()
            await conn.fetchrow(q.bench_matching_floor.sql, pool_id, starts - timedelta(days=365))
            floor.append((time.perf_counter() - started) * 1000)
    assert result is not None
    server = None if server_before is None or server_after is None else server_after - server_before
    return timings, {
        "ranked": result.ranked_total,
        "excluded": result.excluded_total,
        "excluded_by_reason": {c.code: c.count for c in result.by_reason},
        "postgres_cpu_ms_per_match": None if server is None else round(server / volume.runs, 1),
        "bench_cpu_ms_per_match": round((own_after - own_before) * 1000 / volume.runs, 1),
        "floor_median_ms": round(statistics.median(floor), 1),
    }


async def measure_clicks(
    pool: asyncpg.Pool, pool_id: uuid.UUID, starts: datetime, volume: Volume, signer: Signer
) -> dict[str, object]:
    per_place = volume.clicks // volume.places
    async with pool.acquire() as conn:
        request_id = await _new_request(conn, pool_id, starts + timedelta(days=1), volume.places, per_place)
        async with conn.transaction():
            request = await offers.locked_request(conn, request_id)
            sent = await offers.send_offers(conn, request, _ctx(signer))
        tokens = [r["token"] for r in await conn.fetch(q.bench_offer_tokens.sql, str(request_id))]
    if sent != volume.clicks or len(tokens) != volume.clicks:
        raise RuntimeError(f"{sent} offers were sent for the click bench, not {volume.clicks}.")

    async def click(token: str) -> str:
        async with pool.acquire() as conn:
            try:
                await offers.answer(conn=conn, token=token, ctx=_ctx(signer))
            except Full:
                return "told the places are taken"
            except RuleError as exc:
                return f"other refusal: {type(exc).__name__}"
            except asyncpg.PostgresError as exc:
                return f"database error: {type(exc).__name__}"
        return "accepted"

    started = time.perf_counter()
    answers = await asyncio.gather(*(click(t) for t in tokens))
    elapsed = (time.perf_counter() - started) * 1000
    async with pool.acquire() as conn:
        taken = int(await conn.fetchval(q.bench_taken.sql, request_id))
        double = int(await conn.fetchval(q.bench_double_booked.sql))
    counts: dict[str, int] = {}
    for answer in answers:
        counts[answer] = counts.get(answer, 0) + 1
    return {"answers": counts, "taken": taken, "double_booked": double, "all_answered_ms": round(elapsed, 1)}


async def measure(dsn: str, volume: Volume = Volume()) -> tuple[list[Figure], dict[str, object]]:
    pool_id, starts = uuid.uuid4(), _next_monday_at_ten()
    counts = await seed(dsn, volume, pool_id, starts)
    signer = Signer(DEVELOPMENT_LINK_SECRET)
    pool = await create_pool(dsn, max_size=50)
    try:
        timings, about_matching = await measure_matching(pool, pool_id, starts, volume)
        clicks = await measure_clicks(pool, pool_id, starts, volume, signer)
    finally:
        await pool.close()
    timings.sort()
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
    answers = clicks["answers"]
    assert isinstance(answers, dict)
    accepted = int(answers.get("accepted", 0))
    unclear = volume.clicks - accepted - int(answers.get("told the places are taken", 0))
    # Every click that did not end as it should: places given beyond or short of 20, answers other
    # than "accepted" or "the places are taken", and pairs of overlapping bookings of one person.
    wrong = abs(accepted - volume.places) + unclear + int(str(clicks["double_booked"]))
    # How many plain reads of the pool one match costs (median against the floor's median, both
    # from this run): it moves far less with the machine's load than the milliseconds do.
    floor = float(str(about_matching["floor_median_ms"]))
    about_matching["median_to_floor"] = round(statistics.median(timings) / floor, 1) if floor > 0 else None
    figures = [
        at_most("volunteer_matching_5000_p99", p99, "ms", MATCHING_P99_TARGET_MS),
        at_most("offer_clicks_200_for_20_wrong", wrong, "clicks", 0),
    ]
    details: dict[str, object] = {
        **counts,
        "matching_runs": volume.runs,
        "matching_median_ms": round(statistics.median(timings), 1),
        "matching_p99_ms": round(p99, 1),
        **about_matching,
        "load_average": [round(x, 1) for x in os.getloadavg()],
        "clicks": clicks,
    }
    return figures, details


if __name__ == "__main__":  # `python -m bench.volunteers <dsn>`: this bench alone, on a running PostgreSQL
    import json
    import sys

    figures, details = asyncio.run(measure(sys.argv[1]))
    print(json.dumps({"figures": [f.__dict__ for f in figures], "details": details}, indent=2, default=str))
