"""Public registrations under load (issue 9): 1,000 at once for 100 places, and 200 one after another.

Both go through the public door: the gateway's registration form (`POST /evenemang/{id}`), as a
visitor's browser sends it, with its CSRF token and pre-session cookie, and answered as the browser
sees it (303 to the thank-you page, which is not followed: the registration is made by then). The
gateway counts registrations per address (5 per event and 20 a day, `gateway.throttle`); every
client here is a visitor of its own, so each sends its own address in X-Forwarded-For and the bench
stack lists 127.0.0.1 in GATEWAY_TRUSTED_PROXIES, as a deployment behind its proxy does (the
throttle still counts and is part of the cost measured). Each client loads the event page once
first, for its cookie and token (not timed).

Afterwards the events database is read back: every registration once (none lost, none doubled, one
`registration.created` in the outbox each), exactly `PLACES` registered and the rest waiting, and
the order: whoever was given a place is ahead of everyone waiting in the queue, the queue numbers
follow the order in which the outbox rows were written (the order the transactions were accepted),
and the status each registration's event announced is the one stored.

Beside them, the same run's ceiling for this shape of work: PostgreSQL transactions that each lock
one event row, insert a registration and an outbox row and commit durably, from 16 clients (the
most any design that serialises an event's registrations on its row can reach) and from one client
200 times in a row.
"""

from __future__ import annotations

import asyncio
import json
import re
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import httpx

from backbone.migrations import backbone_migrations, ensure_database, migrate
from backbone.queries import Queries
from bench.report import Figure, at_least, at_most, ceiling
from bench.stages import CpuMeter

q = Queries(Path(__file__).parent / "sql")

CONCURRENT = 1_000
PLACES = 100
SEQUENTIAL = 200
# Issue 9: at least 300 registrations/s through the public door; 200 in a row within 1.5 s.
RATE_TARGET = 300.0
SEQUENTIAL_TARGET_MS = 1500.0
CEILING_CONCURRENCY = 16
CEILING_DATABASE = "bench_ceiling"  # the ceilings' scratch database (bench/ceilings.py)
CEILING_WARMUP_SECONDS = 1.0
PREPARE_PARALLEL = 16
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PRE_SESSION_COOKIE = "delaktig_pre"


@dataclass(frozen=True)
class Visitor:
    """One browser: its address, its pre-session cookie and the form's token."""

    address: str
    cookie: str
    token: str
    email: str


@dataclass(frozen=True)
class Burst:
    """What the clients saw: answers by status, and the time from the first request to the last answer."""

    sent: int
    statuses: dict[int, int]
    seconds: float
    latency_p50_ms: float
    latency_max_ms: float
    errors: list[str]
    # CPU milliseconds per registration, by process (`other`: the rest of the machine, this client in it).
    cpu_ms: dict[str, float]

    @property
    def per_second(self) -> float:
        return self.sent / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class Check:
    """What the events database holds afterwards; `problems` empty when every rule held."""

    rows: int
    registered: int
    waiting: int
    problems: list[str]


async def make_event(
    events_url: str, sign: Callable[[], dict[str, str]], *, title: str, capacity: int
) -> str:
    """A published public event with `capacity` places, open for registration, a month ahead."""
    begins = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=30)
    body = {
        "title": title,
        "kind": "lecture",
        "starts_at": begins.isoformat(),
        "ends_at": (begins + timedelta(hours=2)).isoformat(),
        "venue_name": "Stadsbiblioteket",
        "venue_address": "Kungsgatan 1, Lund",
        "description_sv": "En föreläsning om delaktighet, öppen för alla.",
        "capacity": capacity,
    }
    async with httpx.AsyncClient(base_url=events_url, timeout=60) as client:
        made = await client.post("/v1/events", json=body, headers=sign())
        made.raise_for_status()
        event_id = str(made.json()["id"])
        (await client.post(f"/v1/events/{event_id}/publish", headers=sign())).raise_for_status()
    return event_id


def address(run: int, n: int) -> str:
    """A distinct visitor address per client (10.run.x.y), so no two share a throttle budget."""
    return f"10.{run}.{n // 250}.{n % 250 + 1}"


async def visitors(gateway_url: str, event_id: str, *, count: int, run: int, tag: str) -> list[Visitor]:
    """`count` visitors who have each loaded the event page once (not timed)."""
    gate = asyncio.Semaphore(PREPARE_PARALLEL)
    page = f"{gateway_url}/evenemang/{event_id}"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:

        async def one(n: int) -> Visitor:
            where = address(run, n)
            async with gate, session.get(page, headers={"X-Forwarded-For": where}) as answer:
                text = await answer.text()
                if answer.status != 200:
                    raise SystemExit(f"The event page answered {answer.status}: not measured.")
                cookie = answer.cookies.get(PRE_SESSION_COOKIE)
            found = CSRF.search(text)
            if cookie is None or found is None:
                raise SystemExit("The event page gave no pre-session cookie or form token: not measured.")
            return Visitor(where, cookie.value, found.group(1), f"anm-{tag}-{n}@example.se")

        return list(await asyncio.gather(*(one(n) for n in range(count))))


async def send(session: aiohttp.ClientSession, url: str, v: Visitor, n: int) -> tuple[int, float]:
    """The registration form as a browser sends it; the answer's status and how long it took."""
    form = {"csrf_token": v.token, "name": f"Deltagare {n}", "email": v.email, "phone": "", "food": "",
            "website": ""}
    headers = {"X-Forwarded-For": v.address, "Cookie": f"{PRE_SESSION_COOKIE}={v.cookie}"}
    began = time.perf_counter()
    async with session.post(url, data=form, headers=headers, allow_redirects=False) as answer:
        await answer.read()
        if answer.status == 303 and not answer.headers.get("Location", "").endswith("/tack"):
            return 0, 0.0  # redirected somewhere else: not a registration
        return answer.status, (time.perf_counter() - began) * 1000


async def burst(
    gateway_url: str, event_id: str, people: list[Visitor], *, at_once: bool, meter: CpuMeter
) -> Burst:
    """Every visitor registers: all at once, or one after another."""
    url = f"{gateway_url}/evenemang/{event_id}"
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=300)
    errors: list[str] = []
    async with aiohttp.ClientSession(connector=connector, timeout=timeout,
                                     cookie_jar=aiohttp.DummyCookieJar()) as session:
        meter.start()
        began = time.perf_counter()
        if at_once:
            results = await asyncio.gather(*(send(session, url, v, n) for n, v in enumerate(people)),
                                           return_exceptions=True)
        else:
            results = []
            for n, v in enumerate(people):
                try:
                    results.append(await send(session, url, v, n))
                except aiohttp.ClientError as exc:
                    results.append(exc)
        seconds = time.perf_counter() - began
        used = meter.stop()
    statuses: dict[int, int] = {}
    took = []
    for r in results:
        if isinstance(r, BaseException):
            errors.append(repr(r))
            continue
        statuses[r[0]] = statuses.get(r[0], 0) + 1
        took.append(r[1])
    return Burst(sent=len(people), statuses=statuses, seconds=seconds,
                 latency_p50_ms=statistics.median(took) if took else 0.0,
                 latency_max_ms=max(took) if took else 0.0, errors=errors[:5],
                 cpu_ms={name: round(cpu * 1000 / len(people), 2) for name, cpu in used.items()})


async def check(events_dsn: str, event_id: str, people: list[Visitor], *, places: int) -> Check:
    """What the database holds, against what the clients sent (see the module's text)."""
    conn = await asyncpg.connect(events_dsn)
    try:
        rows = [dict(r) for r in await conn.fetch(q.registrations_in_queue_order.sql, uuid.UUID(event_id))]
    finally:
        await conn.close()
    problems = []
    sent = {v.email for v in people}
    stored = [r["email"] for r in rows]
    if len(stored) != len(set(stored)):
        problems.append(f"{len(stored) - len(set(stored))} registrations stored twice")
    if lost := sent - set(stored):
        problems.append(f"{len(lost)} registrations lost, e.g. {sorted(lost)[:2]}")
    if strangers := set(stored) - sent:
        problems.append(f"{len(strangers)} registrations nobody sent")
    registered = [r for r in rows if r["status"] == "registered"]
    waiting = [r for r in rows if r["status"] == "waiting"]
    want_registered = min(places, len(sent))
    if len(registered) != want_registered or len(waiting) != len(sent) - want_registered:
        problems.append(f"{len(registered)} registered and {len(waiting)} waiting, "
                        f"not {want_registered} and {len(sent) - want_registered}")
    if len(registered) + len(waiting) != len(rows):
        problems.append(f"{len(rows) - len(registered) - len(waiting)} in another status")
    last_placed = max((r["queue_no"] for r in registered), default=0)
    if waiting and last_placed > min(r["queue_no"] for r in waiting):
        problems.append("someone waiting is ahead in the queue of someone given a place")
    if doubled := [r for r in rows if r["created_events"] != 1]:
        problems.append(f"{len(doubled)} registrations without exactly one registration.created event")
    if wrong := [r for r in rows if r["announced_status"] != r["status"]]:
        problems.append(f"{len(wrong)} registrations whose event announced another status")
    positions = [r["outbox_position"] for r in rows if r["outbox_position"] is not None]
    if positions != sorted(positions):
        problems.append("the queue's order is not the order in which the registrations were written")
    return Check(rows=len(rows), registered=len(registered), waiting=len(waiting), problems=problems)


async def ceiling_transactions(dsn: str, *, seconds: float) -> tuple[float, float]:
    """Transactions per second at 16 clients, and milliseconds for 200 in a row, of the shape one
    registration must have at least: lock the event's row, insert a registration and an outbox row,
    commit (durably, as the stack's PostgreSQL is)."""
    await ensure_database(dsn)
    await migrate(dsn, backbone_migrations())
    event_id = uuid.uuid4()
    conns = [await asyncpg.connect(dsn) for _ in range(CEILING_CONCURRENCY)]
    try:
        await conns[0].execute(q.create_ceiling_tables.sql)
        await conns[0].execute(q.insert_ceiling_event.sql, event_id)
        # About the size of a registration.created envelope.
        envelope = json.dumps({"subject": "bench.registration.created.v1", "data": {
            "registration_id": str(uuid.uuid4()), "event_id": str(event_id), "event_title": "Bänkevenemang",
            "person": {"name": "Deltagare", "email": "deltagare@example.se"}, "status": "registered",
            "cancel_token": "x" * 220}})

        async def one(conn: asyncpg.Connection, n: int) -> None:
            async with conn.transaction():
                await conn.fetchval(q.lock_ceiling_event.sql, event_id)
                await conn.execute(q.insert_ceiling_registration.sql, uuid.uuid4(), event_id,
                                   f"c{n}@example.se")
                await conn.execute(q.insert_outbox_row.sql, uuid.uuid4(), "bench.registration.created.v1",
                                   str(event_id), envelope)

        done = 0
        stop = asyncio.Event()

        async def client(conn: asyncpg.Connection) -> None:
            nonlocal done
            while not stop.is_set():
                await one(conn, done)
                done += 1

        # A warm-up second, then `seconds` counted.
        tasks = [asyncio.create_task(client(c)) for c in conns]
        try:
            await asyncio.sleep(CEILING_WARMUP_SECONDS)
            began, first = time.perf_counter(), done
            await asyncio.sleep(seconds)
            rate = (done - first) / (time.perf_counter() - began)
        finally:
            stop.set()
            failed = [r for r in await asyncio.gather(*tasks, return_exceptions=True) if r is not None]
        if failed:
            raise SystemExit(f"A ceiling client failed: {failed[0]!r}")
        began = time.perf_counter()
        for n in range(SEQUENTIAL):
            await one(conns[0], n)
        in_a_row_ms = (time.perf_counter() - began) * 1000
    finally:
        for c in conns:
            await c.close()
    return rate, in_a_row_ms


async def measure(
    *,
    events_url: str,
    gateway_url: str,
    sign: Callable[[], dict[str, str]],
    events_dsn: str,
    ceiling_dsn: str,
    ceiling_seconds: float,
    processes: dict[str, int],
) -> tuple[list[Figure], dict[str, object]]:
    """`processes`: the gateway's, the events service's and PostgreSQL's, for the CPU per registration."""
    meter = CpuMeter(processes, with_children={"gateway", "postgres"})
    tag = uuid.uuid4().hex[:8]
    at_once_event = await make_event(events_url, sign, title="Bänk: tusen på en gång", capacity=PLACES)
    in_a_row_event = await make_event(events_url, sign, title="Bänk: en i taget", capacity=PLACES)
    crowd = await visitors(gateway_url, at_once_event, count=CONCURRENT, run=1, tag=f"{tag}-a")
    queue = await visitors(gateway_url, in_a_row_event, count=SEQUENTIAL, run=2, tag=f"{tag}-b")
    concurrent = await burst(gateway_url, at_once_event, crowd, at_once=True, meter=meter)
    sequential = await burst(gateway_url, in_a_row_event, queue, at_once=False, meter=meter)
    checks = {"concurrent": await check(events_dsn, at_once_event, crowd, places=PLACES),
              "sequential": await check(events_dsn, in_a_row_event, queue, places=PLACES)}
    top_rate, top_in_a_row_ms = await ceiling_transactions(ceiling_dsn, seconds=ceiling_seconds)
    problems = [f"{name}: {p}" for name, c in checks.items() for p in c.problems]
    for name, b in (("concurrent", concurrent), ("sequential", sequential)):
        if b.statuses != {303: b.sent}:
            problems.append(f"{name}: answers {b.statuses} (every one must be a 303 to the thank-you page)"
                            + (f", errors {b.errors}" if b.errors else ""))
    if problems:
        raise SystemExit("The registration bench is not valid: " + "; ".join(problems))
    ceil = ceiling(f"pg_locked_row_plus_outbox_c{CEILING_CONCURRENCY}", top_rate, "tx/s")
    figures = [
        ceil,
        at_least("event_registrations_1000_concurrent", concurrent.per_second, "registrations/s", ceil,
                 RATE_TARGET),
        ceiling(f"pg_locked_row_plus_outbox_{SEQUENTIAL}_in_a_row", top_in_a_row_ms, "ms"),
        at_most(f"event_registrations_{SEQUENTIAL}_in_a_row", sequential.seconds * 1000, "ms",
                SEQUENTIAL_TARGET_MS),
    ]
    details: dict[str, Any] = {
        "concurrent": {**asdict(concurrent), "per_second": round(concurrent.per_second, 1)},
        "sequential": asdict(sequential),
        "checks": {name: asdict(c) for name, c in checks.items()},
        "door": "the gateway's public form, POST /evenemang/{id}, each client its own X-Forwarded-For "
        "address (GATEWAY_TRUSTED_PROXIES=127.0.0.1/32 in the bench stack)",
    }
    print(f"1,000 at once: {concurrent.seconds:,.2f} s ({concurrent.per_second:,.1f}/s, p50 "
          f"{concurrent.latency_p50_ms:,.0f} ms, slowest {concurrent.latency_max_ms:,.0f} ms); "
          f"{checks['concurrent'].registered} registered, {checks['concurrent'].waiting} waiting. "
          f"{SEQUENTIAL} in a row: {sequential.seconds * 1000:,.0f} ms "
          f"(p50 {sequential.latency_p50_ms:,.1f} ms each).")
    for name, b in (("at once", concurrent), ("in a row", sequential)):
        print(f"CPU ms per registration {name}: " + ", ".join(f"{k} {v:.2f}" for k, v in b.cpu_ms.items()))
    return figures, details
