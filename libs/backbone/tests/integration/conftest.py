"""Fixtures for the backbone's integration tests: a fresh database, a NATS connection, a private stream."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import nats
import pytest
from nats.aio.client import Client as NATS
from pydantic import BaseModel

from backbone.contracts import EventType, event_type
from backbone.db import create_pool
from backbone.streams import dead_letter_stream, ensure_stream, service_stream


class Happened(BaseModel):
    n: int
    text: str = ""


@dataclass
class Owner:
    """A service name of its own per test: its own stream, its own event type."""

    name: str
    stream: str
    happened: EventType


@pytest.fixture
def dsn(make_database) -> str:
    return make_database("backbone")


@pytest.fixture
async def pool(dsn) -> AsyncIterator[asyncpg.Pool]:
    p = await create_pool(dsn)
    yield p
    await p.close()


@pytest.fixture
async def nc(nats_server) -> AsyncIterator[NATS]:
    client = await nats.connect(nats_server.url)
    yield client
    await client.close()


@pytest.fixture
async def owner(nc) -> Owner:
    name = "t" + uuid.uuid4().hex[:12]
    js = nc.jetstream()
    await ensure_stream(js, service_stream(name))
    await ensure_stream(js, dead_letter_stream())
    et = event_type(f"{name}.thing.happened.v1", Happened, aggregate="thing", description="test")
    return Owner(name=name, stream=name.upper(), happened=et)
