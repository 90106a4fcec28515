"""Where a meeting's time goes: the pipeline cut into stages, and the CPU each process used.

The stages come from timestamps the services already write (PostgreSQL's now(), the start of the
writing transaction) joined by event id and recipient, so measuring needs no change to a service:

  api      API call sent            -> meeting transaction began (HTTP, auth, validation, pool wait)
  relay    meeting transaction began -> outbox row marked published (commit, relay wake-up, JetStream ack)
  consume  marked published          -> notify's consumer transaction began (delivery, queue in a batch)
  queue    consumer transaction began -> email claimed by the sender (render, commit, sender wake-up)
  send     claimed by the sender      -> file in the Maildir (SMTP to the sink, sink writes the file)

A stage's rate is how many meetings passed its end mark per second, from the first to the last:
the slowest stage is the pipeline's bottleneck.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import asyncpg

from backbone.queries import Queries
from bench.pipeline import Load, percentile

q = Queries(Path(__file__).parent / "sql")
_TICK = os.sysconf("SC_CLK_TCK")

STAGES = ("api", "relay", "consume", "queue", "send")


@dataclass(frozen=True)
class Stage:
    name: str
    p50_ms: float
    p99_ms: float
    rate: float  # meetings per second passing the stage's end mark


async def stage_breakdown(load: Load, *, meetings_dsn: str, notify_dsn: str) -> list[Stage]:
    marks: dict[str, dict[str, float]] = {s.email: {"sent": s.sent_at} for s in load.delivered}
    by_event: dict[str, str] = {}
    conn = await asyncpg.connect(meetings_dsn)
    try:
        for row in await conn.fetch(q.meetings_outbox.sql):
            m = marks.get(row["email"])
            if m is None or row["published_at"] is None:
                continue
            m["began"] = _ts(row["created_at"])
            m["published"] = _ts(row["published_at"])
            by_event[str(row["event_id"])] = row["email"]
    finally:
        await conn.close()
    conn = await asyncpg.connect(notify_dsn)
    try:
        for row in await conn.fetch(q.notify_emails.sql):
            email = by_event.get(str(row["cause_event_id"]))
            if email is None or row["sent_at"] is None:
                continue
            marks[email]["handled"] = _ts(row["created_at"])
            marks[email]["claimed"] = _ts(row["sent_at"])
    finally:
        await conn.close()
    for s in load.delivered:
        if s.landed_at is not None:
            marks[s.email]["landed"] = s.landed_at
    order = ("sent", "began", "published", "handled", "claimed", "landed")
    complete = [m for m in marks.values() if all(k in m for k in order)]
    stages = []
    for name, (start, end) in zip(STAGES, itertools.pairwise(order), strict=True):
        spans = [(m[end] - m[start]) * 1000.0 for m in complete]
        ends = [m[end] for m in complete]
        firsts = [m["sent"] for m in complete]
        elapsed = max(ends) - min(firsts) if complete else 0.0
        stages.append(
            Stage(
                name=name,
                p50_ms=percentile(spans, 50),
                p99_ms=percentile(spans, 99),
                rate=len(complete) / elapsed if elapsed > 0 else 0.0,
            )
        )
    return stages


def _ts(value: datetime) -> float:
    return value.timestamp()


def stages_table(stages: list[Stage]) -> str:
    lines = [f"{'stage':<8}  {'p50 ms':>9}  {'p99 ms':>9}  {'done/s':>8}", "-" * 41]
    for s in stages:
        lines.append(f"{s.name:<8}  {s.p50_ms:>9,.1f}  {s.p99_ms:>9,.1f}  {s.rate:>8,.1f}")
    return "\n".join(lines)


# -- CPU per process --------------------------------------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue
        if ppid == pid:
            found.append(int(entry.name))
    return found


class CpuMeter:
    """CPU seconds used by each named process (and, for PostgreSQL, all its backends) between two reads."""

    def __init__(self, processes: dict[str, int], with_children: set[str]) -> None:
        self._processes = processes
        self._with_children = with_children
        self._before: dict[str, dict[int, float]] = {}

    def _read(self) -> dict[str, dict[int, float]]:
        out: dict[str, dict[int, float]] = {}
        for name, pid in self._processes.items():
            pids = [pid, *(_children(pid) if name in self._with_children else [])]
            out[name] = {p: _cpu_seconds(p) for p in pids}
        return out

    def start(self) -> None:
        self._before = self._read()
        self._machine_before = _machine_busy_seconds()

    def stop(self) -> dict[str, float]:
        """CPU seconds per process, plus `other`: what the rest of the machine used meanwhile."""
        after = self._read()
        used: dict[str, float] = {}
        for name, now in after.items():
            before = self._before.get(name, {})
            used[name] = sum(t - before.get(p, 0.0) for p, t in now.items())
        machine = _machine_busy_seconds() - self._machine_before
        used["other"] = max(0.0, machine - sum(used.values()))
        return used


def _machine_busy_seconds() -> float:
    """CPU seconds all cores spent not idle since boot (the first line of /proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / _TICK


def cpu_table(used: dict[str, float], seconds: float, meetings: int) -> str:
    """CPU per process: share of one core, and milliseconds of CPU per meeting delivered."""
    lines = [f"{'process':<10}  {'cpu s':>7}  {'% of a core':>11}  {'ms/meeting':>10}", "-" * 44]
    ours = {k: v for k, v in used.items() if k != "other"}
    for name, cpu in [*sorted(ours.items(), key=lambda kv: -kv[1]), ("other", used.get("other", 0.0))]:
        per_meeting = cpu * 1000 / max(meetings, 1)
        lines.append(f"{name:<10}  {cpu:>7.1f}  {cpu / seconds:>11.0%}  {per_meeting:>10.2f}")
    total = sum(used.values())
    lines.append(f"{'machine':<10}  {total:>7.1f}  {total / seconds:>11.0%}  {'':>10}")
    return "\n".join(lines)
