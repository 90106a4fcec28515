"""Health: alive while the process runs; ready only while the database, NATS and streams are there."""

import asyncio
import gc

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
        assert ready.json() == {
            "ready": True,
            "checks": {"database": True, "nats": True, "streams": True, "loops": True, "outbox": True},
            "reasons": [],
        }
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
        assert down.json()["checks"] == {
            "database": False,
            "nats": False,
            "streams": False,
            "loops": True,
            "outbox": True,
        }
        assert down.json()["reasons"] == [
            "The service cannot reach its database.",
            "The service is not connected to NATS.",
        ]
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


async def test_ready_reports_a_relay_stuck_without_nats_and_recovers_when_it_returns(
    dsn, identity_keys, tmp_path
):
    import uuid

    from pydantic import BaseModel

    from backbone.contracts import event_type
    from backbone.embedded import EmbeddedNats, free_port
    from backbone.outbox import add_event
    from backbone.testing import eventually

    class Noted(BaseModel):
        n: int

    server = EmbeddedNats(tmp_path / "js", free_port())
    server.start()
    name = "stuck" + uuid.uuid4().hex[:8]
    try:
        runtime, app = _service(
            name,
            dsn,
            server,
            identity_keys,
            readiness_stuck_loop_seconds=1.0,
            readiness_outbox_age_seconds=2.0,
            relay_lock_timeout_seconds=4.0,
        )
        noted = event_type(f"{name}.thing.noted.v1", Noted, aggregate="thing", description="test")
        async with app.router.lifespan_context(app):
            client = httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t")
            assert (await client.get("/readyz")).json()["reasons"] == []

            server.stop()
            async with runtime.pool.acquire() as conn, conn.transaction():
                await add_event(conn, noted, Noted(n=1), aggregate_id="a")

            async def reasons_once_stuck() -> list[str]:
                answer = await client.get("/readyz")
                reasons = answer.json()["reasons"]
                stuck = any("outbox has waited" in r for r in reasons)
                return reasons if answer.status_code == 503 and stuck else []

            reasons = await eventually(reasons_once_stuck, "the relay reported stuck", timeout=30)
            assert any(r.startswith("The background loop relay has not completed a turn") for r in reasons)
            checks = (await client.get("/readyz")).json()["checks"]
            assert checks["loops"] is False and checks["outbox"] is False and checks["database"] is True
            assert (await client.get("/livez")).status_code == 200

            server.start()

            async def ready_again() -> bool:
                answer = await client.get("/readyz")
                return answer.status_code == 200 and answer.json()["reasons"] == []

            await eventually(ready_again, "ready again once NATS is back", timeout=60, interval=0.2)
            async with runtime.pool.acquire() as conn:
                assert await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
    finally:
        server.stop()


async def test_ready_reports_a_consumer_whose_jetstream_is_gone_and_recovers_when_it_returns(
    dsn, identity_keys, tmp_path
):
    import uuid

    from pydantic import BaseModel

    from backbone.consumer import Subscription
    from backbone.embedded import EmbeddedNats, free_port
    from backbone.testing import eventually

    class Noted(BaseModel):
        n: int

    async def handle(conn, event, data: Noted) -> None:
        pass

    server = EmbeddedNats(tmp_path / "js", free_port())
    server.start()
    name = "idle" + uuid.uuid4().hex[:8]
    try:
        # Longer than the few seconds between an idle consumer's looks at its durable, its turns.
        runtime = Runtime(
            ServiceSettings(
                service_name=name,
                environment="test",
                database_url=dsn,
                nats_url=server.url,
                identity_public_key=str(identity_keys.public),
                readiness_stuck_loop_seconds=8.0,
                run_relay=False,
            ),
            subscriptions=[Subscription(f"{name}.thing.noted.v1", Noted, handle)],
        )
        app = FastAPI(lifespan=runtime.lifespan)
        install_platform(app, runtime)
        async with app.router.lifespan_context(app):
            client = httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t")

            async def stays_ready() -> bool:
                return (await client.get("/readyz")).status_code == 200

            await eventually(stays_ready, "ready at start")
            consumer = f"The background loop consumer:{name}:{name.upper()} has not completed a turn"

            server.stop()

            async def reasons_once_stuck() -> list[str]:
                reasons = (await client.get("/readyz")).json()["reasons"]
                return reasons if any(r.startswith(consumer) for r in reasons) else []

            await eventually(reasons_once_stuck, "the consumer reported stuck", timeout=40)

            server.start()
            await eventually(stays_ready, "ready again once NATS is back", timeout=60, interval=0.2)
            # Idle, it goes on turning by itself (its looks at the durable), and stays ready.
            [reading] = runtime.consumers
            back = asyncio.get_running_loop().time()
            await eventually(lambda: reading.health.last_turn > back + 5, "two idle turns", timeout=30)
            answer = await client.get("/readyz")
            assert answer.status_code == 200, answer.json()
    finally:
        server.stop()


async def test_what_a_service_holds_from_its_start_is_left_out_of_the_collectors_full_passes(
    dsn, nats_server, identity_keys
):
    # A full pass of Python's collector walked the gateway's whole start-up heap (routes, templates,
    # models, locale data) about once a second under load, 100 to 160 ms each time with nothing to
    # collect, and every page in flight waited: that was the start page's p99 (bench/README.md).
    from backbone import runtime

    # Other tests' apps may be running in this process (module-wide servers): they keep it frozen.
    already = runtime._frozen_heap.running
    _first, one = _service("heap", dsn, nats_server, identity_keys)
    _second, other = _service("heap-too", dsn, nats_server, identity_keys)
    async with one.router.lifespan_context(one):
        assert gc.get_freeze_count() > 10_000
        async with other.router.lifespan_context(other):
            pass
        assert gc.get_freeze_count() > 10_000, "another app's stop left this one's heap frozen"
    assert runtime._frozen_heap.running == already
    if not already:
        assert gc.get_freeze_count() == 0, "unfrozen on stop: what an app leaves behind can be collected"
