"""Webhook tests: a fresh notify database, a stub resolver, a clock the test moves, and a real HTTP
receiver on 127.0.0.1 (reached only with the guard's explicit allowance for local development)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from backbone.db import create_pool
from backbone.envelope import new_envelope
from notify.settings import MIGRATIONS_DIR, Settings
from notify.webhooks import endpoints
from notify.webhooks.endpoints import Guard

# What the test settings seal with (the development key), for use cases called directly.
TEST_BOX = Settings(environment="test").webhook_secret_box


@dataclass
class Received:
    headers: dict[str, str]
    body: str
    host: str


@dataclass
class Receiver:
    """Answers each request with the next planned answer (then `default`), and keeps what it got."""

    port: int = 0
    got: list[Received] = field(default_factory=list)
    plan: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    default: tuple[int, dict[str, str]] = (200, {})

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.text()
        self.got.append(Received(dict(request.headers), body, request.host))
        status, headers = self.plan.pop(0) if self.plan else self.default
        return web.Response(status=status, headers=headers, text="ok")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/{tail:.*}", receiver.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    receiver.port = server.port or 0
    yield receiver
    await server.close()


class Clock:
    """The service's "now", moved by the test."""

    def __init__(self) -> None:
        # Ahead of the real clock, so what a test queues (at the real time) is due even when the test's
        # setup takes a while on a busy machine (one second ahead was not enough under load).
        self.now = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=60)

    def __call__(self) -> datetime:
        return self.now

    def move(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def to(self, when: datetime) -> None:
        self.now = when


@pytest.fixture
def clock() -> Clock:
    return Clock()


class Resolver:
    """A stub resolver: names to the addresses the test says, changeable between calls (rebinding)."""

    def __init__(self) -> None:
        self.answers: dict[str, list[str]] = {}
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host not in self.answers:
            raise OSError(f"no such host {host}")
        return self.answers[host]


@pytest.fixture
def resolver() -> Resolver:
    resolver = Resolver()
    resolver.answers["receiver.test"] = ["127.0.0.1"]
    return resolver


@pytest.fixture
def dsn(make_database: Callable[..., str]) -> str:
    return make_database("notify", MIGRATIONS_DIR)


@pytest.fixture
def settings(dsn: str) -> Settings:
    return Settings(
        environment="test", database_url=dsn, webhooks_allow_private=True, webhooks_timeout_seconds=5
    )


@pytest.fixture
async def pool(dsn: str) -> AsyncIterator[asyncpg.Pool]:
    p = await create_pool(dsn)
    yield p
    await p.close()


async def add_endpoint(
    pool: asyncpg.Pool,
    resolver: Resolver,
    *,
    url: str,
    topics: list[str] | None = None,
    organisation_id: uuid.UUID | None = None,
    now: datetime | None = None,
    allow_private: bool = True,
) -> Any:
    async with pool.acquire() as conn:
        return await endpoints.register(
            conn=conn,
            organisation_id=organisation_id or uuid.uuid4(),
            url=url,
            topics=topics or ["event.published"],
            description="",
            contact_email="it@bryggan.example.se",
            created_by="test",
            now=now or datetime.now(UTC),
            guard=Guard(resolve=resolver, allow_private=allow_private),
            box=TEST_BOX,
        )


def event(subject: str, data: dict[str, Any]) -> Any:
    return new_envelope(subject=subject, source="/events", data=data, aggregate=None, correlation_id=None)
