"""1,000 webhook deliveries to a receiver on this machine (issue 11: at least 500 a second), each
signature checked by the receiver with the independent `standardwebhooks` package.

Runs notify's own delivery worker (`WebhookDeliverer`, the guard's local allowance on) against a
notify database of its own on the bench's PostgreSQL: one endpoint, 1,000 events fanned out to it,
then passes of the worker until every message is marked delivered. The receiver is a process of
its own, so its checking does not share the worker's CPU. Beside it, this machine's ceiling: the
same receiver posted to directly, signed the same way, at the same concurrency, with no database.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from backbone.db import create_pool
from backbone.embedded import free_port
from backbone.envelope import new_envelope
from backbone.migrations import backbone_migrations, ensure_database, migrate, read_migrations
from bench.report import Figure, at_least, ceiling
from notify.settings import MIGRATIONS_DIR, Settings
from notify.webhooks import endpoints, fanout
from notify.webhooks.delivery import WebhookDeliverer
from notify.webhooks.endpoints import Guard
from notify.webhooks.guard import system_resolve
from notify.webhooks.signing import signed_headers

DATABASE = "notify_webhook_bench"
DELIVERIES = 1_000
TARGET_PER_SECOND = 500.0
CONCURRENCY = 32


def _receive(port: int, secret: str, ready: Any) -> None:
    """The receiver's process: checks every signature and counts what it verified and refused."""
    counts = {"verified": 0, "refused": 0}
    check = Webhook(secret)

    async def hook(request: web.Request) -> web.Response:
        body = await request.text()
        try:
            check.verify(body, dict(request.headers))
        except WebhookVerificationError:
            counts["refused"] += 1
            return web.Response(status=400)
        counts["verified"] += 1
        return web.Response(status=204)

    async def stats(_request: web.Request) -> web.Response:
        return web.json_response(counts)

    app = web.Application()
    app.router.add_post("/hook", hook)
    app.router.add_get("/stats", stats)
    web.run_app(app, host="127.0.0.1", port=port, print=lambda *_: ready.set(), access_log=None)


async def _stats(url: str) -> dict[str, int]:
    async with aiohttp.ClientSession() as session, session.get(f"{url}/stats") as response:
        answer: dict[str, int] = await response.json()
        return answer


async def _ceiling(url: str, secret: str, count: int) -> float:
    """Signed posts straight to the receiver, as fast as it takes them: what the worker could reach."""
    body = '{"type":"webhook.test","timestamp":"2026-01-01T00:00:00+00:00","data":{}}'
    sent = 0

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal sent
        while sent < count:
            sent += 1
            headers = signed_headers(message_id=f"msg_{uuid.uuid4().hex}", at=datetime.now(UTC), body=body,
                                     secrets=[secret])
            async with session.post(f"{url}/hook", data=body.encode(), headers=headers) as response:
                await response.read()

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONCURRENCY)) as session:
        started = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(CONCURRENCY)))
        return count / (time.perf_counter() - started)


async def measure(dsn: str, deliveries: int = DELIVERIES) -> tuple[list[Figure], dict[str, object]]:
    await ensure_database(dsn)
    await migrate(dsn, backbone_migrations() + read_migrations("notify", MIGRATIONS_DIR))
    settings = Settings(
        environment="development",
        database_url=dsn,
        webhooks_allow_private=True,
        webhooks_concurrency=CONCURRENCY,
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    pool = await create_pool(dsn, max_size=4)
    try:
        async with pool.acquire() as conn:
            endpoint = await endpoints.register(
                conn=conn,
                organisation_id=uuid.uuid4(),
                url=f"{url}/hook",
                topics=["event.published"],
                description="bench",
                contact_email="bench@example.se",
                created_by="bench",
                now=datetime.now(UTC),
                guard=Guard(resolve=system_resolve, allow_private=True),
                box=settings.webhook_secret_box,
            )
        secret = endpoint["secret"]
        context = multiprocessing.get_context("spawn")
        ready = context.Event()
        receiver = context.Process(target=_receive, args=(port, secret, ready), daemon=True)
        receiver.start()
        try:
            if not await asyncio.to_thread(ready.wait, 30):
                raise RuntimeError("The webhook receiver did not start within 30 s.")
            top = ceiling("http_post_signed_c32", await _ceiling(url, secret, deliveries), "posts/s")
            before = (await _stats(url))["verified"]
            async with pool.acquire() as conn, conn.transaction():
                for _ in range(deliveries):
                    event_id = str(uuid.uuid4())
                    envelope = new_envelope(subject="events.event.published.v1", source="/events",
                                            data={"event_id": event_id}, aggregate=None, correlation_id=None)
                    await fanout.fan_out(conn, topic="event.published", event=envelope,
                                         data={"event_id": event_id, "url": f"https://x.example/{event_id}"})
            worker = WebhookDeliverer(pool=pool, settings=settings)
            async with worker.session() as session:

                async def loop() -> None:  # as the worker's own loops run, without their waits
                    while await worker.deliver_due(session):
                        pass

                started, cpu = time.perf_counter(), time.process_time()
                await asyncio.gather(*(loop() for _ in range(settings.webhooks_loops)))
                seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            async with pool.acquire() as conn:
                succeeded = await conn.fetchval(
                    "SELECT count(*) FROM webhook_messages WHERE endpoint_id = $1 AND status = 'succeeded'",
                    endpoint["id"],
                )
            stats = await _stats(url)
        finally:
            receiver.terminate()
            receiver.join(10)
    finally:
        await pool.close()
    verified = stats["verified"] - before
    if succeeded != deliveries or verified != deliveries or stats["refused"]:
        raise RuntimeError(
            f"Of {deliveries} webhooks {succeeded} were marked delivered, the receiver verified {verified} "
            f"and refused {stats['refused']}: the run is not valid."
        )
    rate = deliveries / seconds
    figures = [top, at_least("webhook_deliveries_1000", rate, "deliveries/s", top, TARGET_PER_SECOND)]
    # The worker's own CPU per delivery (this process: signing, HTTP, the database calls' client side).
    cpu_ms = round(cpu * 1000 / deliveries, 3)
    details: dict[str, object] = {
        "deliveries": deliveries, "seconds": round(seconds, 3), "verified": verified, "cpu_ms": cpu_ms
    }
    return figures, details


if __name__ == "__main__":  # `python -m bench.webhooks DSN`: this row alone, against a PostgreSQL of yours
    import sys

    from bench.report import table

    found, details = asyncio.run(measure(sys.argv[1]))
    print(table(found))
    print(details)
