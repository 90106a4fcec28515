"""The walking-skeleton pipeline under load: meetings through the API until each email is in the Maildir.

Every meeting has exactly one invitee with an address unique to this run, so one meeting is one
email and the email's `To` says which meeting it came from. A meeting's latency is the moment its
email file was written in the Maildir (the file's mtime) minus the moment its API call was sent;
both are this machine's wall clock.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.parser import BytesHeaderParser
from email.utils import parseaddr
from pathlib import Path

import httpx

CONCURRENCY = 16
STARTS_AT = datetime(2027, 1, 4, 12, 30, tzinfo=UTC)


@dataclass
class Sent:
    email: str
    sent_at: float  # wall clock, seconds
    answered_at: float = 0.0
    status: int = 0
    landed_at: float | None = None

    @property
    def latency_ms(self) -> float | None:
        return None if self.landed_at is None else (self.landed_at - self.sent_at) * 1000.0


@dataclass
class Load:
    run_id: str
    sent: list[Sent] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    window_start: float = 0.0
    window_end: float = 0.0

    @property
    def accepted(self) -> list[Sent]:
        return [s for s in self.sent if s.status == 201]

    @property
    def delivered(self) -> list[Sent]:
        return [s for s in self.accepted if s.landed_at is not None]


def meeting_body(run_id: str, n: int) -> dict[str, object]:
    starts = STARTS_AT + timedelta(minutes=n)
    # No time zone: the meeting takes the service's configured one, as a client's would.
    return {
        "title": f"Bänkmöte {n}",
        "group_name": "Gemensam utvecklingsgrupp",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "place": "Bryggan",
        "invitees": [{"name": f"Deltagare {n}", "email": address(run_id, n)}],
    }


def address(run_id: str, n: int) -> str:
    return f"bench-{run_id}-{n}@example.se"


async def create_meetings(
    base_url: str,
    headers: Callable[[], dict[str, str]],
    *,
    run_id: str,
    seconds: float,
    concurrency: int = CONCURRENCY,
    rate: float | None = None,
) -> Load:
    """Schedule meetings through the API from `concurrency` clients for `seconds`.

    Without `rate` each client sends its next call as soon as the last is answered (the most the
    API takes); with it, calls start on a fixed schedule of `rate` per second, to see the latency
    of a load the pipeline can keep up with.
    """
    load = Load(run_id=run_id)
    counter = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, timeout=30.0, limits=limits) as client:
        load.window_start = time.time()
        began = time.monotonic()
        deadline = began + seconds

        async def one_client() -> None:
            nonlocal counter
            while time.monotonic() < deadline:
                n = counter
                counter += 1
                if rate is not None:
                    await asyncio.sleep(max(0.0, began + n / rate - time.monotonic()))
                    if time.monotonic() >= deadline:
                        break
                body = meeting_body(run_id, n)
                sent = Sent(email=address(run_id, n), sent_at=time.time())
                load.sent.append(sent)
                try:
                    response = await client.post("/v1/meetings", json=body, headers=headers())
                    sent.status = response.status_code
                    if response.status_code != 201 and len(load.errors) < 5:
                        load.errors.append(f"{response.status_code}: {response.text[:300]}")
                except httpx.HTTPError as exc:
                    if len(load.errors) < 5:
                        load.errors.append(repr(exc))
                sent.answered_at = time.time()

        await asyncio.gather(*(one_client() for _ in range(concurrency)))
        load.window_end = time.time()
    return load


class MaildirWatcher:
    """Finds which of the run's emails have landed, reading each new file's headers once."""

    def __init__(self, maildir: Path) -> None:
        self._dirs = [maildir / "new", maildir / "cur"]
        self._seen: set[str] = set()
        self.landed: dict[str, float] = {}  # recipient -> file mtime
        self._parser = BytesHeaderParser()

    def scan(self) -> None:
        for folder in self._dirs:
            if not folder.is_dir():
                continue
            for entry in folder.iterdir():
                if entry.name in self._seen:
                    continue
                try:
                    mtime = entry.stat().st_mtime
                    with entry.open("rb") as f:
                        headers = self._parser.parse(f)
                except FileNotFoundError:
                    continue  # moved from new/ to cur/ by a mail reader; found there next time
                self._seen.add(entry.name)
                recipient = parseaddr(str(headers.get("To", "")))[1].lower()
                if recipient:
                    self.landed.setdefault(recipient, mtime)


async def wait_for_emails(load: Load, maildir: Path, *, timeout: float) -> float:
    """Wait until every accepted meeting's email is in the Maildir, or `timeout`; returns seconds waited."""
    watcher = MaildirWatcher(maildir)
    wanted = {s.email: s for s in load.accepted}
    began = time.monotonic()
    while True:
        watcher.scan()
        for email, mtime in watcher.landed.items():
            sent = wanted.get(email)
            if sent is not None:
                sent.landed_at = mtime
        if all(s.landed_at is not None for s in wanted.values()):
            break
        if time.monotonic() - began > timeout:
            break
        await asyncio.sleep(0.25)
    return time.monotonic() - began


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile; `p` in 0..100."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100.0 * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Summary:
    accepted: int
    delivered: int
    missing: int
    api_errors: int
    api_rate: float  # meetings accepted per second during the window
    throughput: float  # meetings delivered per second, first call sent to last email landed
    latency_p50_ms: float
    latency_p99_ms: float
    api_p50_ms: float
    api_p99_ms: float
    span_seconds: float


def summarise(load: Load) -> Summary:
    accepted = load.accepted
    delivered = load.delivered
    window = max(load.window_end - load.window_start, 1e-9)
    if delivered:
        first = min(s.sent_at for s in accepted)
        last = max(s.landed_at for s in delivered if s.landed_at is not None)
        span = max(last - first, 1e-9)
    else:
        span = float("inf")
    latencies = [s.latency_ms for s in delivered if s.latency_ms is not None]
    api = [(s.answered_at - s.sent_at) * 1000.0 for s in accepted]
    return Summary(
        accepted=len(accepted),
        delivered=len(delivered),
        missing=len(accepted) - len(delivered),
        api_errors=len(load.sent) - len(accepted),
        api_rate=len(accepted) / window,
        throughput=len(delivered) / span,
        latency_p50_ms=percentile(latencies, 50),
        latency_p99_ms=percentile(latencies, 99),
        api_p50_ms=percentile(api, 50),
        api_p99_ms=percentile(api, 99),
        span_seconds=span,
    )
