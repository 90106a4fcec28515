"""CPU milliseconds per delivered email of each process (issue 11), for the pipeline's measured window.

Each process's CPU time (utime + stime from /proc, PostgreSQL with all its backends) is read before
and after the window by `stages.CpuMeter`. "Ours" are the processes an email passes through: the
meetings service (API, transaction, relay), NATS, notify (consumer, rendering, sending) and
PostgreSQL. The benchmark's own client, the SMTP sink and the services that sit idle meanwhile
(events, the gateway: the bench calls the meetings API itself) are shown apart, never in the sum.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from bench.report import Figure

ON_THE_PATH = ("meetings", "notify", "nats", "postgres")
IDLE_SECONDS = 5.0


class Meter(Protocol):
    def start(self) -> None: ...
    def stop(self) -> dict[str, float]: ...


async def idle_rates(meter: Meter, seconds: float = IDLE_SECONDS) -> dict[str, float]:
    """CPU seconds per second each process uses with nothing to do (polls, timers), measured just
    before the load: at a low rate (a busy machine) they are a large part of the raw figure."""
    meter.start()
    await asyncio.sleep(seconds)
    return {name: round(used / seconds, 5) for name, used in meter.stop().items()}


def less_idle(cpu_seconds: dict[str, float], idle: dict[str, float], seconds: float) -> dict[str, float]:
    return {name: max(0.0, used - idle.get(name, 0.0) * seconds) for name, used in cpu_seconds.items()}
TARGET_MS = 3.0  # issue 11: our processes' sum per delivered email (it was about 10 ms)


def per_email(cpu_seconds: dict[str, float], delivered: int) -> dict[str, float]:
    return {name: round(used * 1000 / max(delivered, 1), 3) for name, used in cpu_seconds.items()}


def figures(cpu_seconds: dict[str, float], delivered: int) -> list[Figure]:
    """`pipeline_cpu_ms_per_email` (ours, target at most 3 ms) and one row per process."""
    ms = per_email(cpu_seconds, delivered)
    ours = sum(ms.get(name, 0.0) for name in ON_THE_PATH)
    rows = [Figure(name="pipeline_cpu_ms_per_email", value=round(ours, 2), unit="ms", target=TARGET_MS,
                   met=ours <= TARGET_MS, target_on="max")]
    for name in (*ON_THE_PATH, *sorted(set(ms) - set(ON_THE_PATH) - {"other"}), "other"):
        if name in ms:
            rows.append(Figure(name=f"pipeline_cpu_ms_per_email_{name}", value=round(ms[name], 2), unit="ms"))
    return rows


def describe(
    cpu_seconds: dict[str, float], delivered: int, *, idle: dict[str, float], seconds: float
) -> str:
    lines = []
    for label, used in (("", cpu_seconds), (" less idle", less_idle(cpu_seconds, idle, seconds))):
        ms = per_email(used, delivered)
        ours = sum(ms.get(name, 0.0) for name in ON_THE_PATH)
        path = ", ".join(f"{name} {ms.get(name, 0.0):.2f}" for name in ON_THE_PATH)
        apart = ", ".join(f"{name} {value:.2f}" for name, value in sorted(ms.items())
                          if name not in ON_THE_PATH and name != "other")
        lines.append(f"CPU ms per delivered email{label}: ours {ours:.2f} (target at most {TARGET_MS:g}): "
                     f"{path}; apart: {apart}; the rest of the machine {ms.get('other', 0.0):.2f}")
    return "\n".join(lines)
