"""Oversized requests are refused with 413 before anything reads them; metrics labels stay bounded."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, Request
from prometheus_client import REGISTRY

from backbone.http import BodyLimit, RequestContext

LIMIT = 1_024


def _app(seen: list[int]) -> FastAPI:
    app = FastAPI()

    @app.post("/things")
    async def things(request: Request) -> dict[str, int]:
        body = await request.body()
        seen.append(len(body))
        return {"bytes": len(body)}

    @app.post("/imports/upload")
    async def upload(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    app.add_middleware(BodyLimit, max_bytes=LIMIT, by_path={"/imports": 10 * LIMIT})
    return app


@pytest.fixture
def seen() -> list[int]:
    return []


@pytest.fixture
async def client(seen: list[int]) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=_app(seen))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        yield http


async def test_a_body_within_the_limit_gets_through(client: httpx.AsyncClient) -> None:
    response = await client.post("/things", content=b"x" * LIMIT)
    assert response.status_code == 200
    assert response.json() == {"bytes": LIMIT}


async def test_a_declared_oversized_body_is_refused_before_it_is_read(
    client: httpx.AsyncClient, seen: list[int]
) -> None:
    response = await client.post("/things", json={"text": "x" * LIMIT})
    assert response.status_code == 413
    assert "at most 1 kB" in response.json()["detail"]
    assert seen == []


async def test_a_chunked_body_is_counted_while_it_streams_and_stopped(
    client: httpx.AsyncClient, seen: list[int]
) -> None:
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(100):
            sent += 100
            yield b"y" * 100

    response = await client.post("/things", content=chunks())
    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert response.status_code == 413
    assert seen == [], "the handler never got the oversized body"


async def test_a_route_that_needs_more_gets_its_own_limit(client: httpx.AsyncClient) -> None:
    assert (await client.post("/imports/upload", content=b"z" * 5 * LIMIT)).status_code == 200
    assert (await client.post("/imports/upload", content=b"z" * 11 * LIMIT)).status_code == 413


async def test_a_browser_is_told_in_swedish(client: httpx.AsyncClient) -> None:
    response = await client.post("/things", content=b"x" * 2 * LIMIT, headers={"Accept": "text/html"})
    assert response.status_code == 413
    assert "för stort" in response.text


async def test_a_made_up_http_method_does_not_make_a_new_metrics_series() -> None:
    app = FastAPI()

    @app.api_route("/m", methods=["GET"])
    async def m() -> dict[str, str]:
        return {}

    app.add_middleware(RequestContext, service="labels")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        await http.request("GET", "/m")
        await http.request("BREW-COFFEE-1234", "/m")
    methods = {
        sample.labels["method"]
        for metric in REGISTRY.collect()
        if metric.name == "http_requests"
        for sample in metric.samples
        if sample.labels.get("service") == "labels"
    }
    assert methods == {"GET", "other"}


async def test_a_refused_body_closes_the_connection(client: httpx.AsyncClient) -> None:
    """The rest of an oversized body is never read, so the connection cannot carry another request."""
    declared = await client.post("/things", content=b"x" * 2 * LIMIT)
    assert declared.status_code == 413
    assert declared.headers["connection"] == "close"

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield b"y" * 100

    streamed = await client.post("/things", content=chunks())
    assert streamed.status_code == 413
    assert streamed.headers["connection"] == "close"
