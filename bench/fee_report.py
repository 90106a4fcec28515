"""The monthly fee report for 5,000 volunteers (issue 10: at most 1 s), on the bench's PostgreSQL.

Seeds a volunteers database of its own (five paid pools whose fee changes mid-month, 5,000
volunteers, a year of approved hours and four entries each in the measured month), then builds the
report the way `GET /v1/reports/fees` does (`reports.fee_report_json`: the database builds the
JSON document) several times, one after another, and reports the slowest: a page waits for the
whole report, so its worst run is the figure. The HTTP hop is not in it. (The CSV route reads the
lines into Python and writes them as text; it is not measured here.)
"""

from __future__ import annotations

import json
import os
import statistics
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import asyncpg

from backbone.db import create_pool
from backbone.migrations import backbone_migrations, ensure_database, migrate, read_migrations
from backbone.queries import Queries
from bench.report import Figure, at_most
from bench.volunteers import cpu_ms
from volunteers import reports
from volunteers.model import Scope
from volunteers.settings import MIGRATIONS_DIR

q = Queries(Path(__file__).parent / "sql")
DATABASE = "volunteers_fee_bench"
TARGET_MS = 1000.0
MONTH = date(2027, 3, 1)
HISTORY_START = date(2026, 3, 1)
MONTH_END = date(2027, 4, 1)


@dataclass(frozen=True)
class Volume:
    volunteers: int = 5_000
    pools: int = 5
    runs: int = 10


async def seed(dsn: str, volume: Volume) -> dict[str, int]:
    await ensure_database(dsn)
    await migrate(dsn, backbone_migrations() + read_migrations("volunteers", MIGRATIONS_DIR))
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.execute(q.fees_seed_pools.sql, volume.pools)
            await conn.execute(q.fees_seed_fees.sql, MONTH)
            await conn.execute(q.fees_seed_volunteers.sql, volume.volunteers)
            await conn.execute(q.fees_seed_requests.sql, HISTORY_START, MONTH_END)
            await conn.execute(q.fees_seed_work.sql, HISTORY_START)
        await conn.execute("VACUUM ANALYZE")
        row = await conn.fetchrow(q.fees_volume.sql, MONTH, MONTH_END)
        return dict(row) if row else {}
    finally:
        await conn.close()


async def measure(dsn: str, volume: Volume = Volume()) -> tuple[list[Figure], dict[str, object]]:
    counts = await seed(dsn, volume)
    pool = await create_pool(dsn, max_size=1)
    timings: list[float] = []
    people = 0
    try:
        async with pool.acquire() as conn:
            backend = int(await conn.fetchval("SELECT pg_backend_pid()"))
            server_before = cpu_ms(backend)
            for _ in range(volume.runs):
                started = time.perf_counter()
                document = await reports.fee_report_json(conn=conn, month=MONTH, scope=Scope(everything=True))
                timings.append((time.perf_counter() - started) * 1000)
                people = len(json.loads(document)["people"])
            server_after = cpu_ms(backend)
            # The same report made in Python from the lines (what the route did before), in this
            # run, so that a loaded machine's figure can be read as a ratio.
            in_python: list[float] = []
            for _ in range(3):
                started = time.perf_counter()
                report = await reports.fee_report(conn=conn, month=MONTH, scope=Scope(everything=True))
                json.dumps(reports.report_document(report))
                in_python.append((time.perf_counter() - started) * 1000)
    finally:
        await pool.close()
    if people != volume.volunteers:
        raise RuntimeError(f"The fee report named {people} people, not the {volume.volunteers} seeded.")
    figures = [at_most("fee_report_5000_volunteers_max", max(timings), "ms", TARGET_MS)]
    details: dict[str, object] = {
        **counts,
        "runs": volume.runs,
        "median_ms": round(statistics.median(timings), 1),
        "max_ms": round(max(timings), 1),
        "postgres_cpu_ms_per_run": None
        if server_before is None or server_after is None
        else round((server_after - server_before) / volume.runs, 1),
        "built_in_python_median_ms": round(statistics.median(in_python), 1),
        "load_average": [round(x, 1) for x in os.getloadavg()],
    }
    return figures, details
