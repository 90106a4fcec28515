"""The relay's leader lock: a leader whose host vanishes hands over to a standby within seconds."""

import asyncio
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import nats

from backbone.outbox import add_event
from backbone.relay import OutboxRelay
from backbone.settings import ServiceSettings
from backbone.testing import eventually

from .conftest import Happened
from .test_outbox_relay import _stream_messages


class FreezableProxy:
    """TCP between a client and PostgreSQL; `freeze()` stops every byte without closing anything,
    as a host that vanished does: no FIN, no RST, the kernel still acknowledges what was sent."""

    def __init__(self, target_port: int) -> None:
        self._target_port = target_port
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def freeze(self) -> None:
        self._flowing.clear()

    async def close(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.transport.abort()

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        await self._flowing.wait()
        server_r, server_w = await asyncio.open_connection("127.0.0.1", self._target_port)
        self._writers += [client_w, server_w]
        await asyncio.gather(
            self._pipe(client_r, server_w), self._pipe(server_r, client_w), return_exceptions=True
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            await self._flowing.wait()
            writer.write(data)
            await writer.drain()


def _via(dsn: str, port: int) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{port}"))


async def test_a_standby_takes_over_when_the_leaders_database_link_freezes(pool, dsn, nats_server, owner):
    proxy = FreezableProxy(urlsplit(dsn).port or 5432)
    await proxy.start()
    nc1, nc2 = await nats.connect(nats_server.url), await nats.connect(nats_server.url)
    leader = OutboxRelay(
        dsn=_via(dsn, proxy.port), nc=nc1, service=owner.name, poll_seconds=0.1, lock_timeout=3.0
    )
    standby = OutboxRelay(dsn=dsn, nc=nc2, service=owner.name, poll_seconds=0.1, lock_timeout=3.0)
    tasks = [asyncio.create_task(leader.run())]
    try:
        await eventually(lambda: leader.is_leader, "the first relay leading")
        tasks.append(asyncio.create_task(standby.run()))
        await eventually(lambda: standby.is_standing_by, "the second relay standing by")
        assert not standby.is_leader

        proxy.freeze()
        await eventually(lambda: standby.is_leader, "the standby taking over", timeout=30)
        async with pool.acquire() as conn, conn.transaction():
            event = await add_event(conn, owner.happened, Happened(n=1), aggregate_id="a")
        msgs = await _stream_messages(nc2, owner.stream, 1)
        assert [m.headers["Nats-Msg-Id"] for m in msgs] == [event.id]
        await eventually(lambda: not leader.is_leader, "the old leader stepping down", timeout=30)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await proxy.close()
        await nc1.close()
        await nc2.close()


async def test_the_lock_connection_gives_a_vanished_peer_up_within_the_default_lock_timeout(dsn, nc, owner):
    settings = ServiceSettings(environment="test")
    assert settings.relay_lock_timeout_seconds <= 25, "a standby must take over within about 30 s"
    relay = OutboxRelay(dsn=dsn, nc=nc, service=owner.name, lock_timeout=settings.relay_lock_timeout_seconds)
    conn: asyncpg.Connection = await relay.connect_for_lock()
    try:
        idle = await conn.fetchval("SELECT setting::int FROM pg_settings WHERE name = 'idle_session_timeout'")
        user_timeout = await conn.fetchval(
            "SELECT setting::int FROM pg_settings WHERE name = 'tcp_user_timeout'"
        )
        keepalive = [
            await conn.fetchval("SELECT setting::int FROM pg_settings WHERE name = $1", name)
            for name in ("tcp_keepalives_idle", "tcp_keepalives_interval", "tcp_keepalives_count")
        ]
    finally:
        await conn.close()
    limit_ms = settings.relay_lock_timeout_seconds * 1000
    assert 0 < idle <= limit_ms
    assert 0 < user_timeout <= limit_ms
    assert keepalive[0] + keepalive[1] * keepalive[2] <= settings.relay_lock_timeout_seconds
