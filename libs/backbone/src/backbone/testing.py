"""Pytest fixtures that start real PostgreSQL and NATS servers, one of each per test session.

Registered as a pytest plugin (entry point `pytest11`), so every test folder of the project can use
them. Ports and folders are unique per session, so two runs on one machine never collide.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from backbone.embedded import EmbeddedNats, EmbeddedPostgres, free_port
from backbone.migrations import Migration, backbone_migrations, ensure_database, migrate, read_migrations


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    server = EmbeddedPostgres(tmp_path_factory.mktemp("pg") / "data", free_port(), durable=False)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedNats]:
    server = EmbeddedNats(tmp_path_factory.mktemp("nats") / "jetstream", free_port())
    server.start()
    yield server
    server.stop()


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

        # In a thread of its own, so sync and async tests (with a running loop) can both call it.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, create()).result()
        return dsn

    return make
