"""The status tables: one line per container (state, health, restarts, uptime), then what flows:
each stream's messages and each consumer's lag, each service database's outbox backlog, and the
dead letters."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from stackops.backup import owner_of
from stackops.compose import Container, replica_of, service_of

# Health that counts as fine: healthy, or no healthcheck at all (e.g. mailpit).
_FINE_HEALTH = {"healthy", "-"}
# A migration one-shot that did its work: exited 0 and is not meant to run again.
COMPLETED = "completed"


@dataclass(frozen=True)
class StatusRow:
    service: str
    replica: int
    container: str
    state: str
    health: str
    restarts: int
    # What the container's last healthcheck said, when it is not healthy: /readyz's reasons.
    why: str = ""
    # How long it has run since its last start ("-" when it does not run).
    uptime: str = "-"

    @property
    def fine(self) -> bool:
        return (self.state == "running" and self.health in _FINE_HEALTH) or self.state == COMPLETED


def health_of(container: Container) -> str:
    """`starting`, `healthy` or `unhealthy`; `-` when the image has no healthcheck."""
    state = container.attrs.get("State")
    if not isinstance(state, dict):
        return "-"
    health = state.get("Health") or {}
    return str(health.get("Status") or "-")


def state_of(container: Container) -> str:
    """The engine's state, except that a one-shot (restart: "no") that exited 0 has `completed`."""
    state = container.attrs.get("State")
    policy = ((container.attrs.get("HostConfig") or {}).get("RestartPolicy") or {}).get("Name") or "no"
    if (
        container.status == "exited"
        and isinstance(state, dict)
        and state.get("ExitCode") == 0
        and policy in ("no", "")
    ):
        return COMPLETED
    return container.status


def last_check_output(container: Container) -> str:
    """The output of the container's latest healthcheck (the image's prints /readyz's reasons)."""
    state = container.attrs.get("State")
    health = (state.get("Health") or state.get("Healthcheck") or {}) if isinstance(state, dict) else {}
    checks = health.get("Log") or []
    if not checks or not isinstance(checks[-1], dict):
        return ""
    return " ".join(str(checks[-1].get("Output") or "").split())


# Docker writes StartedAt with nanoseconds and Z, podman with an offset; a container never started
# has year 1.
_STARTED = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)$")


def uptime_of(container: Container, now: datetime | None = None) -> str:
    """How long a running container has run: `42s`, `1h05m`, `3d03h`; `-` if it does not run."""
    state = container.attrs.get("State")
    if container.status != "running" or not isinstance(state, dict):
        return "-"
    found = _STARTED.match(str(state.get("StartedAt") or ""))
    if not found:
        return "-"
    zone = "+00:00" if found.group(2) == "Z" else found.group(2)
    started = datetime.fromisoformat(found.group(1) + zone)
    seconds = int(((now or datetime.now(UTC)) - started).total_seconds())
    if started.year < 2000 or seconds < 0:
        return "-"
    if seconds < 60:
        return f"{seconds}s"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if hours < 1:
        return f"{minutes}m"
    if days < 1:
        return f"{hours}h{minutes % 60:02d}m"
    return f"{days}d{hours % 24:02d}h"


def row_for(container: Container, now: datetime | None = None) -> StatusRow:
    health = health_of(container)
    return StatusRow(
        service=service_of(container),
        replica=replica_of(container),
        container=container.name,
        state=state_of(container),
        health=health,
        restarts=int(container.attrs.get("RestartCount") or 0),
        why=last_check_output(container) if health in ("unhealthy", "starting") else "",
        uptime=uptime_of(container, now),
    )


def rows_for(containers: Iterable[Container]) -> list[StatusRow]:
    return [row_for(c) for c in containers]


def render(rows: Sequence[StatusRow]) -> str:
    header = ("SERVICE", "REPLICA", "CONTAINER", "STATE", "HEALTH", "RESTARTS", "UPTIME")
    lines = [header] + [
        (r.service, str(r.replica), r.container, r.state, r.health, str(r.restarts), r.uptime) for r in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    table = "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in lines
    )
    notes = [f"{r.container}: {r.why}" for r in rows if r.why]
    return "\n".join([table, *notes])


# What flows between the services, besides the containers: read inside the nats and postgres
# containers (NATS monitoring listens on the container's loopback only; no port is published).
JSZ = "http://127.0.0.1:8222/jsz?accounts=true&streams=true&consumers=true"
_OUTBOX = (
    "SELECT count(*) FILTER (WHERE published_at IS NULL AND set_aside_at IS NULL), "
    "count(*) FILTER (WHERE set_aside_at IS NOT NULL) FROM outbox"
)
DEAD_LETTER_STREAM = "DEADLETTER"


@dataclass(frozen=True)
class StreamRow:
    stream: str
    messages: int
    consumer: str  # "-" for a stream's own line
    pending: int  # not yet delivered to the consumer
    ack_pending: int  # delivered, not yet acknowledged


@dataclass(frozen=True)
class OutboxRow:
    database: str
    backlog: int | None  # None: the count could not be read
    set_aside: int | None


def _output(raw: object) -> str:
    if isinstance(raw, tuple):
        raw = raw[0]
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw or "")


def stream_rows(nats: Container) -> list[StreamRow]:
    """Every stream with its messages, and each of its consumers with what it has still to do."""
    code, raw = nats.exec_run(["wget", "-qO-", JSZ])
    if code != 0:
        raise ValueError(f"NATS monitoring did not answer in {nats.name} (exit {code}): {_output(raw)[:300]}")
    data = json.loads(_output(raw))
    rows = []
    for account in data.get("account_details") or []:
        for stream in account.get("stream_detail") or []:
            name = str(stream.get("name"))
            rows.append(StreamRow(name, int((stream.get("state") or {}).get("messages") or 0), "-", 0, 0))
            for consumer in stream.get("consumer_detail") or []:
                rows.append(
                    StreamRow(
                        name,
                        0,
                        str(consumer.get("name")),
                        int(consumer.get("num_pending") or 0),
                        int(consumer.get("num_ack_pending") or 0),
                    )
                )
    return sorted(rows, key=lambda r: (r.stream, r.consumer != "-", r.consumer))


def outbox_rows(postgres: Container, databases: Sequence[str]) -> list[OutboxRow]:
    rows = []
    for database in databases:
        code, raw = postgres.exec_run(
            # As the database's owner, never the superuser: the service may have put anything in
            # its database, an `outbox` view calling its own function too (see backup.owner_of).
            ["psql", "-U", owner_of(database), "-X", "-d", database, "-At", "-F", " ", "-c", _OUTBOX],
            user="postgres",
        )
        counts = _output(raw).split()
        if code == 0 and len(counts) == 2 and all(c.isdigit() for c in counts):
            rows.append(OutboxRow(database, int(counts[0]), int(counts[1])))
        else:
            rows.append(OutboxRow(database, None, None))
    return rows


def _table(header: Sequence[str], lines: Sequence[Sequence[str]]) -> str:
    every = [tuple(header), *[tuple(line) for line in lines]]
    widths = [max(len(line[i]) for line in every) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in every
    )


def render_streams(rows: Sequence[StreamRow]) -> str:
    lines = [
        (r.stream, str(r.messages), "-", "", "")
        if r.consumer == "-"
        else (r.stream, "", r.consumer, str(r.pending), str(r.ack_pending))
        for r in rows
    ]
    table = _table(("STREAM", "MESSAGES", "CONSUMER", "PENDING", "ACK PENDING"), lines)
    dead = sum(r.messages for r in rows if r.stream == DEAD_LETTER_STREAM and r.consumer == "-")
    note = (
        f"{dead} dead letters wait for an operator: `python -m backbone.deadletters` lists and replays them."
        if dead
        else "No dead letters."
    )
    return f"{table}\n{note}"


def render_outboxes(rows: Sequence[OutboxRow]) -> str:
    def shown(value: int | None) -> str:
        return "?" if value is None else str(value)

    return _table(
        ("DATABASE", "OUTBOX BACKLOG", "SET ASIDE"),
        [(r.database, shown(r.backlog), shown(r.set_aside)) for r in rows],
    )
