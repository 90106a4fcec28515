"""Staff pages under load: the start page, a meeting with minutes and a search, signed in, via the gateway.

The meetings database gets a realistic volume first (written with SQL: the API would take minutes).
Each page is loaded by `wrk` (C, event-driven: it leaves the machine's two cores to the stack) with
32 connections, a session cookie of the demo administrator, and a Lua script that counts every
answer other than 200, so a lost session cannot pass as fast pages. Beside the pages, in the same
run, the ceiling: a bare FastAPI + asyncpg app doing one primary-key SELECT, under the same load.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

from backbone.embedded import free_port
from backbone.queries import Queries
from bench.stages import CpuMeter

q = Queries(Path(__file__).parent / "sql")

# Counts every answer other than the one status expected (a redirect to the sign-in page would
# otherwise pass as a page) and prints the figures as one JSON line.
LUA = Path(__file__).parent / "wrk" / "status.lua"
CONCURRENCY = 32
WRK_THREADS = 2  # this machine has two cores; more threads only take turns
WARMUP_SECONDS = 2.0
SEARCH_TERM = "bredband"  # in one meeting's minutes in fifty (bench/sql/pages.sql)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Volume:
    organisations: int = 200
    people: int = 2000
    meetings: int = 10_000


@dataclass(frozen=True)
class PageRun:
    """What wrk saw on one URL: answers, how many were not 200, and the latency percentiles."""

    name: str
    path: str
    requests: int
    seconds: float
    not_ok: int
    socket_errors: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    # CPU milliseconds per answer, by process (`other`: the rest of the machine, wrk included). Unlike
    # the rate, this hardly moves with other work on a shared machine: compare runs by it.
    cpu_ms_per_page: dict[str, float] | None = None

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


async def seed(dsn: str, volume: Volume) -> dict[str, int]:
    """Fill the meetings database; returns what is in it afterwards."""
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.execute(q.seed_volume.sql, volume.organisations, volume.people)
            await conn.execute(q.seed_groups.sql)
            await conn.execute(q.seed_members.sql)
            await conn.execute(q.seed_meetings.sql, volume.meetings)
            for name in ("seed_invitees", "seed_agendas", "seed_attendance", "seed_minutes",
                         "seed_action_items"):
                await conn.execute(getattr(q, name).sql)
        await conn.execute("VACUUM ANALYZE")  # as autovacuum would soon after; plans then see the volume
        row = await conn.fetchrow(q.volume.sql)
        return dict(row) if row else {}
    finally:
        await conn.close()


async def pick_targets(dsn: str) -> tuple[uuid.UUID, uuid.UUID]:
    """A meeting with minutes for the meeting page, and a row for the ceiling's primary-key SELECT."""
    conn = await asyncpg.connect(dsn)
    try:
        meeting = await conn.fetchval(q.meeting_with_minutes.sql)
        row = await conn.fetchval(q.ceiling_row.sql)
    finally:
        await conn.close()
    if meeting is None or row is None:
        raise RuntimeError("The seeded database has no meeting with minutes; see bench/sql/pages.sql.")
    return meeting, row


async def sign_in(gateway_url: str, email: str, password: str) -> str:
    """Signs in through the form, as a browser does; returns the Cookie header of the session."""
    async with httpx.AsyncClient(base_url=gateway_url, timeout=10.0) as client:
        form = await client.get("/sign-in")
        found = CSRF.search(form.text)
        if found is None:
            raise RuntimeError(f"The sign-in page has no CSRF token (status {form.status_code}).")
        answer = await client.post(
            "/sign-in", data={"email": email, "password": password, "csrf_token": found.group(1), "next": "/"}
        )
        if answer.status_code != 303:
            raise RuntimeError(f"Signing in as {email} failed with status {answer.status_code}.")
        session = {name: value for name, value in client.cookies.items() if "session" in name}
        if not session:
            raise RuntimeError("Signing in set no session cookie.")
        return "; ".join(f"{name}={value}" for name, value in session.items())


async def check_page(url: str, cookie: str, must_contain: str) -> None:
    """One request before the load: a page that is not what we think it is must not be measured."""
    async with httpx.AsyncClient(timeout=30.0) as client:
        answer = await client.get(url, headers={"Cookie": cookie})
    if answer.status_code != 200 or must_contain not in answer.text:
        raise RuntimeError(f"{url} answered {answer.status_code} without {must_contain!r}: not measured.")


def wrk_path() -> str:
    """Debian's wrk, installed as root when missing; anyone else gets one line saying what to run."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise SystemExit("The page bench needs wrk: run `sudo apt-get install -y wrk`, then `make bench`.")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print("Installing wrk for the page bench: apt-get install -y wrk", file=sys.stderr)
    for command in (["apt-get", "install", "-y", "-qq", "wrk"], ["apt-get", "update", "-qq"],
                    ["apt-get", "install", "-y", "-qq", "wrk"]):
        if subprocess.run(command, env=env, check=False).returncode == 0 and shutil.which("wrk"):
            break
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("Installing wrk failed: install Debian's wrk package, then run `make bench` again.")
    return found


def load(name: str, url: str, *, seconds: float, cookie: str | None = None,
         connections: int = CONCURRENCY, meter: CpuMeter | None = None,
         headers: dict[str, str] | None = None, status: int = 200) -> PageRun:
    """A warm-up, then `seconds` of wrk with `connections` open at once, each asking again at once;
    every answer but `status` counts as not ok; with `meter`, the CPU its processes used for the
    measured part."""
    wrk = wrk_path()
    sent = {**(headers or {}), **({"Cookie": cookie} if cookie else {})}

    def run(duration: float) -> dict[str, int]:
        threads = min(WRK_THREADS, connections)  # wrk wants a connection per thread at least
        argv = [wrk, "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(duration))}s",
                "--timeout", "10s", "-s", str(LUA)]
        for header, value in sent.items():
            argv += ["-H", f"{header}: {value}"]
        done = subprocess.run([*argv, url, "--", str(status)], capture_output=True, text=True, check=False)
        for line in done.stdout.splitlines():
            if line.startswith("BENCH "):
                return json.loads(line.removeprefix("BENCH "))
        raise RuntimeError(f"wrk gave no figures for {url}: {done.stdout[-500:]} {done.stderr[-500:]}")

    run(WARMUP_SECONDS)
    if meter is not None:
        meter.start()
    figures = run(seconds)
    used = meter.stop() if meter is not None else None
    per_page = None
    if used is not None and figures["requests"]:
        per_page = {k: round(v * 1000 / figures["requests"], 2) for k, v in used.items()}
    return PageRun(
        name=name,
        path=httpx.URL(url).raw_path.decode(),
        requests=figures["requests"],
        seconds=figures["micros"] / 1e6,
        not_ok=figures["not_ok"],
        socket_errors=figures["socket_errors"],
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        max_ms=figures["max_us"] / 1000,
        cpu_ms_per_page=per_page,
    )


@contextmanager
def ceiling_server(dsn: str, log: Path) -> Iterator[str]:
    """The ceiling app on a free port, stopped when the block ends; yields its base URL."""
    port = free_port()
    with log.open("ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "bench.ceiling_app", dsn, str(port)],
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30.0
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"The ceiling app stopped with code {proc.returncode}; see {log}.")
            try:
                if httpx.get(url + "/livez", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"The ceiling app was not up after 30 s; see {log}.")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


async def demo_sign_in(argv: list[str], env: dict[str, str]) -> tuple[str, str]:
    """The demo administrator, made sure of by the gateway's own command, as `make run` does."""
    proc = await asyncio.create_subprocess_exec(*argv, env=env, stdout=subprocess.PIPE,
                                                stderr=subprocess.PIPE)
    out, err = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"`{' '.join(argv[1:])}` failed: {err.decode()[-500:]}")
    email, _sep, password = out.decode().strip().splitlines()[-1].partition(" / ")
    return email, password
