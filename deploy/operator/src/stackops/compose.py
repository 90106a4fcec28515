"""Which containers belong to a compose project and service, read from the labels Compose writes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
REPLICA_LABEL = "com.docker.compose.container-number"
# Containers from `docker compose run` are one-offs, not replicas of the service.
ONEOFF_LABEL = "com.docker.compose.oneoff"

# The `name:` in docker-compose.yml.
DEFAULT_PROJECT = "delaktig"


class Container(Protocol):
    """What we use of a Docker SDK container; the tests stand in simple classes for it."""

    @property
    def name(self) -> str: ...

    @property
    def labels(self) -> Mapping[str, str]: ...

    @property
    def status(self) -> str: ...

    @property
    def attrs(self) -> Mapping[str, Any]: ...

    def restart(self, **kwargs: Any) -> Any: ...

    def kill(self, signal: str | int | None = None) -> Any: ...

    def logs(self, **kwargs: Any) -> Any: ...

    def exec_run(self, cmd: Any, **kwargs: Any) -> Any: ...

    def put_archive(self, path: str, data: bytes) -> bool: ...

    # A rollout's steps (rollout.py).
    def start(self, **kwargs: Any) -> Any: ...

    def stop(self, **kwargs: Any) -> Any: ...

    def remove(self, **kwargs: Any) -> Any: ...

    def rename(self, name: str) -> Any: ...


class SelectionError(Exception):
    """The service or replica asked for is not there; the message says what is."""


def empty_project(project: str) -> SelectionError:
    return SelectionError(
        f"Compose project '{project}' has no containers. Start it with `docker compose up -d` "
        "in the repository root, or name the project with --project."
    )


def project_filter(project: str) -> dict[str, list[str]]:
    """The Docker API filter for a project's containers, so the engine does the first cut."""
    return {"label": [f"{PROJECT_LABEL}={project}"]}


def service_of(container: Container) -> str:
    return container.labels.get(SERVICE_LABEL, "")


def replica_of(container: Container) -> int:
    try:
        return int(container.labels.get(REPLICA_LABEL, "0"))
    except ValueError:
        return 0


def in_project(container: Container, project: str) -> bool:
    labels = container.labels
    return labels.get(PROJECT_LABEL) == project and labels.get(ONEOFF_LABEL, "False") != "True"


def project_containers(containers: Iterable[Container], project: str) -> list[Container]:
    """The project's service containers, by service and then replica number."""
    mine = [c for c in containers if in_project(c, project)]
    return sorted(mine, key=lambda c: (service_of(c), replica_of(c), c.name))


def select(
    containers: Iterable[Container], project: str, service: str, replica: int | None = None
) -> list[Container]:
    """The containers of one service (or one replica of it); never empty."""
    mine = project_containers(containers, project)
    if not mine:
        raise empty_project(project)
    chosen = [c for c in mine if service_of(c) == service]
    if not chosen:
        known = ", ".join(sorted({service_of(c) for c in mine}))
        raise SelectionError(
            f"Compose project '{project}' has no service '{service}'. Its services: {known}."
        )
    if replica is None:
        return chosen
    exact = [c for c in chosen if replica_of(c) == replica]
    if not exact:
        have = ", ".join(str(replica_of(c)) for c in chosen)
        raise SelectionError(f"Service '{service}' has no replica {replica}. Its replicas: {have}.")
    return exact
