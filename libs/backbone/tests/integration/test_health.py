"""Health: alive while the process runs; ready only while the database, NATS and streams are there."""

import httpx
from fastapi import FastAPI

from backbone.http import install_platform
from backbone.runtime import Runtime
from backbone.settings import ServiceSettings


def _service(name: str, dsn, nats_server, identity_keys, **settings) -> tuple[Runtime, FastAPI]:
    """An app with nothing but the platform's routes, on the test's database and NATS."""
    runtime = Runtime(
        ServiceSettings(
            service_name=name,
            environment="test",
            database_url=dsn,
            nats_url=nats_server.url,
            identity_public_key=str(identity_keys.public),
            **settings,
        )
    )
    app = FastAPI(lifespan=runtime.lifespan)
    install_platform(app, runtime)
    return runtime, app


async def test_ready_only_while_database_and_nats_are_reachable(dsn, nats_server, identity_keys):
    runtime, app = _service("healthcheck", dsn, nats_server, identity_keys)
    async with app.router.lifespan_context(app):
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t")
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"ready": True, "checks": {"database": True, "nats": True, "streams": True}}
        assert (await client.get("/livez")).status_code == 200
        metrics = (await client.get("/metrics")).text
        assert "http_requests_total" in metrics
        assert "outbox_backlog" in metrics

        await runtime.pool.close()
        down = await client.get("/readyz")
        assert down.status_code == 503
        assert down.json()["checks"]["database"] is False

        await runtime.nc.close()
        down = await client.get("/readyz")
        assert down.json()["checks"] == {"database": False, "nats": False, "streams": False}
        assert (await client.get("/livez")).status_code == 200


async def test_requests_carry_a_request_id_and_invalid_input_gets_a_clear_422(dsn, nats_server):
    from pydantic import BaseModel, Field

    class Body(BaseModel):
        title: str = Field(min_length=1)

    settings = ServiceSettings(
        service_name="health422", environment="test", database_url=dsn, nats_url=nats_server.url
    )
    runtime = Runtime(settings)
    app = FastAPI(lifespan=runtime.lifespan)
    install_platform(app, runtime, require_identity=False)

    @app.post("/things")
    async def create(body: Body) -> dict[str, str]:
        return {"title": body.title}

    async with app.router.lifespan_context(app):
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t")
        response = await client.post("/things", json={"title": ""}, headers={"X-Request-ID": "abc-1"})
        assert response.status_code == 422
        assert response.headers["X-Request-ID"] == "abc-1"
        body = response.json()
        assert body["errors"] == [{"field": "title", "message": "String should have at least 1 character"}]
        assert "title: String should have at least 1 character" in body["detail"]
        odd = await client.post("/things", json={"title": "x"}, headers={"X-Request-ID": "bad id\n"})
        assert odd.headers["X-Request-ID"] != "bad id\n", "an unprintable request id is replaced"
        metrics = (await client.get("/metrics")).text
        assert 'route="/things",service="health422",status="422"' in metrics
        assert 'route="/things",service="health422",status="200"' in metrics


async def test_metrics_can_be_closed_to_all_but_the_scraper(dsn, nats_server, identity_keys):
    _, app = _service("healthtoken", dsn, nats_server, identity_keys, metrics_token="scrape-me")
    async with app.router.lifespan_context(app):
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t")
        assert (await client.get("/metrics")).status_code == 401
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer guess"})
        assert wrong.status_code == 401
        right = await client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
        assert right.status_code == 200
        assert "outbox_backlog" in right.text
