"""The Docker engine, reached through the Docker SDK, with failures turned into messages for people."""

from __future__ import annotations

from typing import Any

import docker
import requests
from docker.errors import APIError, DockerException

from stackops.compose import Container, project_filter

UNREACHABLE = (
    "Docker is not reachable: is the engine running, and may this user use it "
    "(member of the docker group, or DOCKER_HOST set)?"
)


class EngineError(Exception):
    """Docker could not do what we asked; the message says why and what to try."""


class Engine:
    """The containers of the engine that `docker.from_env()` finds (DOCKER_HOST, or the local socket)."""

    def __init__(self, client: Any) -> None:
        self._client = client

    @property
    def client(self) -> Any:
        """The SDK client itself, for what needs more than the project's containers (rollout)."""
        return self._client

    def containers(self, project: str) -> list[Container]:
        # all=True: stopped and killed containers belong in the status too.
        # ignore_removed: a container removed between listing and inspecting is simply gone.
        found: list[Container] = self._client.containers.list(
            all=True, filters=project_filter(project), ignore_removed=True
        )
        return found


def connect() -> Engine:
    try:
        return Engine(docker.from_env())
    except DockerException as exc:
        raise EngineError(f"{UNREACHABLE}\n  Details: {exc}") from exc


def explain(exc: Exception) -> str:
    """A message for a failure while talking to the engine."""
    if isinstance(exc, APIError):
        return f"Docker refused: {exc.explanation or exc}"
    if isinstance(exc, requests.exceptions.ConnectionError | DockerException):
        return f"{UNREACHABLE}\n  Details: {exc}"
    return str(exc)


# Everything the SDK raises when the engine is gone or says no.
ENGINE_ERRORS: tuple[type[Exception], ...] = (DockerException, requests.exceptions.RequestException)
