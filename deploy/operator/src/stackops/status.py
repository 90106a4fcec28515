"""The status table: one line per container, with state, health and restart count."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

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


def row_for(container: Container) -> StatusRow:
    return StatusRow(
        service=service_of(container),
        replica=replica_of(container),
        container=container.name,
        state=state_of(container),
        health=health_of(container),
        restarts=int(container.attrs.get("RestartCount") or 0),
    )


def rows_for(containers: Iterable[Container]) -> list[StatusRow]:
    return [row_for(c) for c in containers]


def render(rows: Sequence[StatusRow]) -> str:
    header = ("SERVICE", "REPLICA", "CONTAINER", "STATE", "HEALTH", "RESTARTS")
    lines = [header] + [
        (r.service, str(r.replica), r.container, r.state, r.health, str(r.restarts)) for r in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in lines
    )
