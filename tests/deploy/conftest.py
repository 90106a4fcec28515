"""The deploy tests run only under `make test-deploy` (DELAKTIG_TEST_DEPLOY=1): they install a
container engine as root, build images and start the whole stack, which `make test` must not do."""

from __future__ import annotations

import importlib.util
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from backbone.embedded import free_port

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
PROJECT = "delaktigtest"
UP_TIMEOUT = 600


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"deploy_tests_{name}", HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


localengine = _load("localengine")
envfile = _load("envfile")


# Tests that need the engine use one of these fixtures; the others (deploy/nats.conf on a local
# nats-server, the compose file read by docker-compose) run in `make test` too.
ENGINE_FIXTURES = {"images", "stack", "cluster", "health_ticker"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("DELAKTIG_TEST_DEPLOY") == "1":
        return
    skip = pytest.mark.skip(reason="container tests: run `make test-deploy`")
    for item in items:
        engine = ENGINE_FIXTURES & set(getattr(item, "fixturenames", ()))
        if HERE in Path(str(item.fspath)).parents and engine:
            item.add_marker(skip)


class Stack:
    """One compose project of the repository's docker-compose.yml, on podman's Docker API."""

    def __init__(
        self,
        env_file: Path,
        env: dict[str, str],
        project: str,
        files: tuple[str, ...] = ("docker-compose.yml",),
    ) -> None:
        self.files = files
        self.env_file = env_file
        self.env = env
        self.project = project
        self.gateway_url = f"http://{env['GATEWAY_PUBLISH']}"

    def compose(
        self, *args: str, timeout: float = UP_TIMEOUT, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        chosen = [arg for name in self.files for arg in ("-f", name)]
        argv = ["docker-compose", "--env-file", str(self.env_file), "-p", self.project, *chosen, *args]
        result = subprocess.run(
            argv,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "DOCKER_HOST": localengine.DOCKER_HOST},
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{' '.join(argv)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return result

    def wait_until_fine(self, timeout: float = 180) -> str:
        """`stackops status` until every container runs healthy (or completed); its last table."""
        deadline = time.monotonic() + timeout
        while True:
            result = self.stackops("status", "--no-flow")
            if result.returncode == 0:
                return result.stdout
            if time.monotonic() > deadline:
                raise AssertionError(f"Not every container became healthy:\n{result.stdout}{result.stderr}")
            time.sleep(2)

    def containers(self, service: str, *, all: bool = False) -> list[Any]:
        """The service's containers (running ones only unless `all`), by replica number."""
        import docker

        labels = [f"com.docker.compose.project={self.project}", f"com.docker.compose.service={service}"]
        found = docker.from_env().containers.list(all=all, filters={"label": labels})
        return sorted(found, key=lambda c: c.labels.get("com.docker.compose.container-number", ""))

    def one_shot_done(self, service: str, timeout: float = 300, *, after: str | None = None) -> Any:
        """The one-shot's container once it exited 0 (a run that finished after `after`, if given)."""
        deadline = time.monotonic() + timeout
        while True:
            (container,) = self.containers(service, all=True)
            state = container.attrs["State"]
            if state["Status"] == "exited" and (after is None or state["FinishedAt"] != after):
                output = container.logs().decode("utf-8", "replace")
                assert state["ExitCode"] == 0, f"{service} exited {state['ExitCode']}:\n{output[-3000:]}"
                return container
            if time.monotonic() > deadline:
                raise AssertionError(f"{service} did not finish within {timeout:g} s: {state}")
            time.sleep(2)

    def stackops(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "stackops", "--project", self.project, *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "DOCKER_HOST": localengine.DOCKER_HOST},
        )


@pytest.fixture(scope="session")
def images() -> dict[str, str]:
    prepared = localengine.prepare()
    os.environ["DOCKER_HOST"] = prepared["DOCKER_HOST"]
    return {k: v for k, v in prepared.items() if k != "DOCKER_HOST"}


@pytest.fixture(scope="session")
def health_ticker(images: dict[str, str]) -> Iterator[None]:
    with localengine.HealthTicker():
        yield


def running_stack(
    images: dict[str, str], files: tuple[str, ...], name: str, **extra: str
) -> Iterator[Stack]:
    project = f"{name}{secrets.token_hex(3)}"
    env = envfile.values(images=images, publish=f"127.0.0.1:{free_port()}", project=project)
    env.update(extra)
    path = envfile.write(localengine.CACHE / "test-envs" / f"{project}.env", env)
    s = Stack(path, env, project, files)
    try:
        s.compose("up", "-d", "--no-build")
        # `up` returns once the gateway started; the tests begin once it is healthy too (it starts
        # last, and compiles its translations first: minutes on a busy machine).
        s.wait_until_fine(timeout=300)
        yield s
    finally:
        if os.environ.get("DELAKTIG_KEEP_STACK") != "1":
            s.compose("down", "-v", "--remove-orphans", check=False, timeout=300)
            path.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def stack(images: dict[str, str], health_ticker: None) -> Iterator[Stack]:
    # With the demo data, as an operator trying the stack out would have it (the `demo` profile,
    # deploy/env.example); the cluster below runs without, which shows that nothing is loaded and no
    # demo container holds the gateway's key unless asked for.
    yield from running_stack(images, ("docker-compose.yml",), PROJECT, COMPOSE_PROFILES="dev,demo")


@pytest.fixture(scope="module")
def cluster(images: dict[str, str], health_ticker: None) -> Iterator[Stack]:
    yield from running_stack(
        images, ("docker-compose.yml", "docker-compose.cluster.yml"), PROJECT + "cluster"
    )
