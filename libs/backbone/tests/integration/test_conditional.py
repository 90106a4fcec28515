"""Conditional GETs on real PostgreSQL: the data version follows every committed write, also when
writers commit at the same time, and a matching If-None-Match gets 304 before the route runs."""

import asyncio
import uuid

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from backbone.conditional import data_version, untracked_tables
from backbone.dependencies import ConnDep
from backbone.http import install_platform
from backbone.identity import Identity, bearer_headers, load_signing_key
from backbone.runtime import Runtime
from backbone.settings import ServiceSettings
from backbone.testing import eventually

STAFF = Identity(subject="u1", roles=("staff",), name="Sara")
OTHER = Identity(subject="u2", roles=("staff",), name="Olle")


@pytest.fixture
async def tracked(dsn):
    """The test database with one service table, `notes`, tracked like a service's own."""
    conn = await asyncpg.connect(dsn)
    await conn.execute(
        "CREATE TABLE notes (id serial PRIMARY KEY, text text NOT NULL);"
        "SELECT backbone_track_data_version(ARRAY['notes']::regclass[]);"
    )
    yield conn
    await conn.close()


async def test_backbone_tracks_none_of_its_own_tables_and_lists_them_all(dsn):
    conn = await asyncpg.connect(dsn)
    try:
        assert await untracked_tables(conn) == []
        await conn.execute("CREATE TABLE forgotten (id int)")
        assert await untracked_tables(conn) == ["forgotten"]
    finally:
        await conn.close()


async def test_every_committed_write_raises_the_version_once(tracked):
    before = await data_version(tracked)
    await tracked.execute("INSERT INTO notes (text) VALUES ('a')")
    assert await data_version(tracked) == before + 1
    async with tracked.transaction():
        for text in ("b", "c", "d"):
            await tracked.execute("INSERT INTO notes (text) VALUES ($1)", text)
        await tracked.execute("UPDATE notes SET text = upper(text)")
    assert await data_version(tracked) == before + 2
    await tracked.execute("DELETE FROM notes WHERE text = 'B'")
    await tracked.execute("TRUNCATE notes")
    assert await data_version(tracked) == before + 4


async def test_a_rolled_back_write_leaves_the_version_and_a_later_write_still_raises_it(tracked):
    before = await data_version(tracked)
    with pytest.raises(RuntimeError):
        async with tracked.transaction():
            await tracked.execute("INSERT INTO notes (text) VALUES ('gone')")
            raise RuntimeError("rolled back")
    assert await data_version(tracked) == before
    async with tracked.transaction():
        with pytest.raises(RuntimeError):
            async with tracked.transaction():  # a savepoint: its write and its mark go together
                await tracked.execute("INSERT INTO notes (text) VALUES ('gone too')")
                raise RuntimeError("savepoint rolled back")
        await tracked.execute("INSERT INTO notes (text) VALUES ('kept')")
    assert await data_version(tracked) == before + 1


async def test_a_commit_overtaken_by_a_later_writer_still_changes_the_version(dsn, tracked):
    """The trap of numbers handed out before commit: the first writer takes its number, a second one
    takes a higher one and commits first. Read between the two commits, the version must still
    change when the first one commits, or a reader who read it in between is told nothing changed."""
    first, second, reader = await asyncio.gather(*(asyncpg.connect(dsn) for _ in range(3)))
    try:
        tx = first.transaction()
        await tx.start()
        await first.execute("INSERT INTO notes (text) VALUES ('first')")

        async def later_writer() -> None:
            async with second.transaction():
                await second.execute("INSERT INTO notes (text) VALUES ('second')")

        overtaking = asyncio.create_task(later_writer())

        async def committed_or_waiting() -> bool:
            waiting = await reader.fetchval(
                "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $1",
                second.get_server_pid(),
            )
            return overtaking.done() or bool(waiting)

        await eventually(committed_or_waiting, "the second writer commits or waits for the first")
        seen = await data_version(reader)
        await tx.commit()
        assert await data_version(reader) != seen
        await overtaking
        assert await data_version(reader) != seen
    finally:
        await asyncio.gather(first.close(), second.close(), reader.close())


async def test_concurrent_writers_each_leave_a_version_of_their_own(dsn, tracked):
    writers = await asyncio.gather(*(asyncpg.connect(dsn) for _ in range(8)))
    before = await data_version(tracked)

    async def write(conn: asyncpg.Connection, n: int) -> None:
        for i in range(10):
            async with conn.transaction():
                await conn.execute("INSERT INTO notes (text) VALUES ($1)", f"{n}-{i}")

    try:
        await asyncio.gather(*(write(conn, n) for n, conn in enumerate(writers)))
    finally:
        await asyncio.gather(*(c.close() for c in writers))
    assert await data_version(tracked) == before + 80


@pytest.fixture
async def client(dsn, tracked, nats_server, identity_keys):
    settings = ServiceSettings(
        service_name="notes",
        environment="test",
        database_url=dsn,
        nats_url=nats_server.url,
        identity_public_key=str(identity_keys.public),
    )
    runtime = Runtime(settings)
    app = FastAPI(lifespan=runtime.lifespan)
    install_platform(app, runtime, conditional_gets=True)
    app.state.route_runs = 0

    @app.get("/notes")
    async def notes(conn: ConnDep) -> list[str]:
        app.state.route_runs += 1
        return [r["text"] for r in await conn.fetch("SELECT text FROM notes ORDER BY id")]

    key = load_signing_key(str(identity_keys.signing))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as http,
    ):

        async def get(who: Identity = STAFF, tag: str | None = None) -> httpx.Response:
            headers = bearer_headers(who, key=key, audience="notes")
            if tag is not None:
                headers["If-None-Match"] = tag
            return await http.get("/notes", headers=headers)

        yield get, app


async def test_a_matching_tag_gets_304_without_a_body_and_without_running_the_route(client, tracked):
    get, app = client
    first = await get()
    assert first.status_code == 200 and first.headers["ETag"].startswith('W/"')
    runs = app.state.route_runs
    again = await get(tag=first.headers["ETag"])
    assert again.status_code == 304
    assert again.content == b"" and "content-length" not in again.headers
    assert again.headers["ETag"] == first.headers["ETag"]
    assert app.state.route_runs == runs
    listed = await get(tag=f'"other", {first.headers["ETag"].removeprefix("W/")}')
    assert listed.status_code == 304


async def test_a_write_by_anyone_changes_the_tag(client, tracked):
    get, _app = client
    tag = (await get()).headers["ETag"]
    # Written straight to the database, as another process of the service or a consumer would.
    await tracked.execute("INSERT INTO notes (text) VALUES ($1)", uuid.uuid4().hex)
    changed = await get(tag=tag)
    assert changed.status_code == 200 and changed.headers["ETag"] != tag


async def test_another_identity_never_gets_the_same_tag(client, tracked):
    get, _app = client
    mine = (await get(STAFF)).headers["ETag"]
    theirs = await get(OTHER, tag=mine)
    assert theirs.status_code == 200 and theirs.headers["ETag"] != mine
    promoted = Identity(subject="u1", roles=("administrator",), name="Sara")
    assert (await get(promoted, tag=mine)).status_code == 200
