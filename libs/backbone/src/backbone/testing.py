"""Pytest fixtures that start real PostgreSQL and NATS servers, one of each per test session.

Registered as a pytest plugin (entry point `pytest11`), so every test folder of the project can use
them. Ports and folders are unique per session, so two runs on one machine never collide.
"""

from __future__ import annotations

import asyncio
import inspect
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest

from backbone.embedded import EmbeddedNats, EmbeddedPostgres, free_port
from backbone.identity import KeyFiles, write_keypair
from backbone.migrations import Migration, backbone_migrations, ensure_database, migrate, read_migrations

T = TypeVar("T")


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    server = EmbeddedPostgres(tmp_path_factory.mktemp("pg") / "data", free_port(), durable=False)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def identity_keys(tmp_path_factory: pytest.TempPathFactory) -> KeyFiles:
    """A keypair of the tests' own, as files: the private one for the gateway's side (or for minting
    identities in a test), the public one for every service under test."""
    return write_keypair(tmp_path_factory.mktemp("identity"))


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedNats]:
    server = EmbeddedNats(tmp_path_factory.mktemp("nats") / "jetstream", free_port())
    server.start()
    yield server
    server.stop()


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end from sync code, on a loop of its own in another thread.

    Another thread, because this one may already run a loop (an async test, or Playwright's).
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def eventually(
    probe: Callable[[], T | Awaitable[T]], what: str, *, timeout: float = 15.0, interval: float = 0.05
) -> T:
    """Ask `probe` (sync or async) until it answers something truthy, and return that answer.

    The one way tests wait for an asynchronous effect: a deadline instead of a bare sleep, and a
    message that says what never happened. Sync tests call it through `run_async`.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        answer = probe()
        if inspect.isawaitable(answer):
            answer = await answer
        if answer:
            return answer
        if loop.time() > deadline:
            raise AssertionError(f"Not within {timeout:g} s: {what} (last answer: {answer!r})")
        await asyncio.sleep(interval)


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def make_database(pg_server: EmbeddedPostgres) -> Callable[..., str]:
    """`make_database("meetings", migrations_dir)` gives the DSN of a fresh, migrated database."""

    def make(service: str, migrations_dir: Path | None = None) -> str:
        dsn = pg_server.dsn(unique_name(service))
        migrations: list[Migration] = backbone_migrations()
        if migrations_dir is not None:
            migrations += read_migrations(service, migrations_dir)

        async def create() -> None:
            await ensure_database(dsn)
            await migrate(dsn, migrations)

        run_async(create())
        return dsn

    return make
