"""Conditional GETs on real PostgreSQL: the data version follows every committed write, also when
writers commit at the same time, and a matching If-None-Match gets 304 before the route runs."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI, Response
from prometheus_client import REGISTRY

from backbone.access import ADMINISTRATOR
from backbone.conditional import VERSION_HEADER, VERSION_PATH, data_version, untracked_tables
from backbone.dependencies import ConnDep
from backbone.http import install_platform
from backbone.identity import Identity, bearer_headers, load_signing_key
from backbone.migrations import Migration, backbone_migrations, ensure_database, migrate
from backbone.runtime import Runtime
from backbone.settings import ServiceSettings
from backbone.testing import eventually, unique_name

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
        await conn.execute(
            "CREATE TABLE half (id int); SELECT backbone_track_data_version(ARRAY['half']::regclass[]);"
            "DROP TRIGGER data_version_bump_update ON half"
        )
        assert await untracked_tables(conn) == ["forgotten", "half"]
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


async def test_a_statement_that_changes_no_row_leaves_the_version(tracked):
    await tracked.execute("INSERT INTO notes (id, text) VALUES (1, 'a')")
    before = await data_version(tracked)
    async with tracked.transaction():
        await tracked.execute("INSERT INTO notes (id, text) VALUES (1, 'b') ON CONFLICT DO NOTHING")
        await tracked.execute("UPDATE notes SET text = 'c' WHERE id = -1")
        await tracked.execute("DELETE FROM notes WHERE id = -1")
    assert await data_version(tracked) == before
    async with tracked.transaction():
        await tracked.execute("UPDATE notes SET text = 'c' WHERE id = -1")  # leaves no mark behind
        await tracked.execute("UPDATE notes SET text = 'c' WHERE id = 1")
    assert await data_version(tracked) == before + 1
    await tracked.execute(
        "INSERT INTO notes (id, text) VALUES (1, 'd') ON CONFLICT (id) DO UPDATE SET text = 'd'"
    )
    assert await data_version(tracked) == before + 2


async def test_a_writer_with_another_search_path_still_raises_the_version(tracked):
    before = await data_version(tracked)
    await tracked.execute("CREATE SCHEMA elsewhere; SET search_path TO elsewhere")
    try:
        await tracked.execute("INSERT INTO public.notes (text) VALUES ('from elsewhere')")
    finally:
        await tracked.execute("RESET search_path")
    assert await data_version(tracked) == before + 1


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



async def test_a_writer_does_not_wait_for_another_writers_open_transaction(dsn, tracked):
    """Writers used to take turns on the one version row from their first write to their commit, so
    a service's transactions committed one after another (a quarter of the write rate)."""
    first, second = await asyncio.gather(*(asyncpg.connect(dsn) for _ in range(2)))
    try:
        before = await data_version(tracked)
        tx = first.transaction()
        await tx.start()
        await first.execute("INSERT INTO notes (text) VALUES ('first, still open')")
        await second.execute("SET lock_timeout = '2s'")
        async with second.transaction():
            await second.execute("INSERT INTO notes (text) VALUES ('second')")
        assert await data_version(tracked) == before + 1
        await tx.commit()
        assert await data_version(tracked) == before + 2
    finally:
        await asyncio.gather(first.close(), second.close())


async def test_two_writers_of_each_others_rows_do_not_deadlock_on_the_version(dsn, tracked):
    """The first writer held the version row while waiting for a row the second writer held, and the
    second waited for the version row: PostgreSQL broke the cycle with 40P01 (a 409 for the caller)."""
    await tracked.execute("INSERT INTO notes (id, text) VALUES (1, 'one'), (2, 'two')")
    before = await data_version(tracked)
    first, second = await asyncio.gather(*(asyncpg.connect(dsn) for _ in range(2)))
    try:
        tx1, tx2 = first.transaction(), second.transaction()
        await tx1.start()
        await tx2.start()
        await first.execute("UPDATE notes SET text = 'one by first' WHERE id = 1")
        by_second = asyncio.create_task(
            second.execute("UPDATE notes SET text = 'two by second' WHERE id = 2")
        )

        async def second_done_or_waiting() -> bool:
            waiting = await tracked.fetchval(
                "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $1",
                second.get_server_pid(),
            )
            return by_second.done() or bool(waiting)

        await eventually(second_done_or_waiting, "the second writer has its row or waits")
        # Waits for the second's row lock on id 2, as it should; nothing may wait in a cycle.
        crossing = asyncio.create_task(first.execute("UPDATE notes SET text = 'two by first' WHERE id = 2"))
        await asyncio.wait_for(by_second, timeout=10)
        await tx2.commit()
        await asyncio.wait_for(crossing, timeout=10)
        await tx1.commit()
    finally:
        await asyncio.gather(first.close(), second.close())
    assert await data_version(tracked) == before + 2



async def test_tables_tracked_before_the_version_moved_to_commit_get_the_new_triggers(pg_server):
    """A service database migrated before 0007 (its tables tracked with the statement triggers of
    0006): after 0007 every tracked table raises the version at commit, and nothing is left untracked."""
    dsn = pg_server.dsn(unique_name("backbone"))
    everything = backbone_migrations()
    upto_0006 = [m for m in everything if m.version < "backbone/0007"]
    service = Migration(
        "old/0001_notes.sql",
        "CREATE TABLE notes (id serial PRIMARY KEY, text text NOT NULL);"
        "SELECT backbone_track_data_version(ARRAY['notes']::regclass[]);",
    )
    await ensure_database(dsn)
    await migrate(dsn, [*upto_0006, service])
    assert await migrate(dsn, [*everything, service]) == [m.version for m in everything[len(upto_0006):]]
    conn = await asyncpg.connect(dsn)
    try:
        assert await untracked_tables(conn) == []
        deferred = await conn.fetchval(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'notes'::regclass AND tgdeferrable"
        )
        assert deferred == 3  # insert, update and delete
        before = await data_version(conn)
        async with conn.transaction():
            await conn.execute("INSERT INTO notes (text) VALUES ('a'), ('b')")
            await conn.execute("UPDATE notes SET text = upper(text)")
        assert await data_version(conn) == before + 1
    finally:
        await conn.close()


Get = Callable[..., Awaitable[httpx.Response]]


@asynccontextmanager
async def serving(dsn: str, nats_url: str, keys: Any, **options: Any) -> AsyncIterator[tuple[Get, FastAPI]]:
    """One process of a service with conditional GETs on `/notes`; `options` go to its settings."""
    settings = ServiceSettings(
        service_name="notes",
        environment="test",
        database_url=dsn,
        nats_url=nats_url,
        identity_public_key=str(keys.public),
        **options,
    )
    runtime = Runtime(settings)
    app = FastAPI(lifespan=runtime.lifespan)
    install_platform(app, runtime, conditional_gets=True)
    app.state.route_runs = 0

    @app.get("/notes")
    async def notes(conn: ConnDep) -> list[str]:
        app.state.route_runs += 1
        return [r["text"] for r in await conn.fetch("SELECT text FROM notes ORDER BY id")]

    key = load_signing_key(str(keys.signing))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as http,
    ):

        async def get(who: Identity = STAFF, tag: str | None = None, path: str = "/notes") -> httpx.Response:
            headers = bearer_headers(who, key=key, audience="notes")
            if tag is not None:
                headers["If-None-Match"] = tag
            return await http.get(path, headers=headers)

        yield get, app


@pytest.fixture
async def client(dsn, tracked, nats_server, identity_keys):
    async with serving(dsn, nats_server.url, identity_keys) as served:
        yield served


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


async def test_a_new_dead_letter_is_never_hidden_behind_a_304(client, tracked, dsn):
    # The dead-letter routes every service mounts read backbone's own table, which no data version
    # tracks: an ETag there would answer 304 over a letter that came in since.
    get, _app = client
    admin = Identity(subject="a1", roles=(ADMINISTRATOR,), name="Ada")
    first = await get(admin, path="/v1/admin/dead-letters")
    assert first.status_code == 200 and first.json()["items"] == []
    await tracked.execute(
        "INSERT INTO dead_letters (consumer, stream, stream_seq, subject, data, reason)"
        " VALUES ('c', 'NOTES', 1, 'notes.note.written.v1', ''::bytea, 'broken')"
    )
    again = await get(admin, tag=first.headers.get("ETag"), path="/v1/admin/dead-letters")
    assert again.status_code == 200 and len(again.json()["items"]) == 1


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


async def test_a_tagged_answer_is_for_the_caller_only_and_always_revalidated(client, tracked):
    get, _app = client
    first = await get()
    assert first.headers["Cache-Control"] == "private, no-cache"
    assert (await get(tag=first.headers["ETag"])).headers["Cache-Control"] == "private, no-cache"


async def test_a_new_process_never_answers_304_to_a_tag_of_the_old_one(
    dsn, tracked, nats_server, identity_keys
):
    """Same data version, minute, caller and URL: only the process's own key tells the tags apart, so
    neither a guessed tag nor one from before a deploy (older code, older access rules) gets a 304."""
    async with serving(dsn, nats_server.url, identity_keys) as (old, _app):
        tag = (await old()).headers["ETag"]
        assert (await old(tag=tag)).status_code == 304
    async with serving(dsn, nats_server.url, identity_keys) as (new, _app):
        again = await new(tag=tag)
        assert again.status_code == 200 and again.headers["ETag"] != tag


async def test_without_a_readable_data_version_gets_answer_503_and_give_their_connection_back(
    dsn, tracked, nats_server, identity_keys
):
    """Before migrations ran (no table) or with the row gone: a clear 503 every time, and the pool's
    connections come back, so the service answers again once the data version can be read."""
    async with serving(dsn, nats_server.url, identity_keys, pool_min_size=1, pool_max_size=2) as (get, app):
        await tracked.execute("ALTER TABLE data_version RENAME TO data_version_not_yet")
        for _ in range(5):
            refused = await asyncio.wait_for(get(), timeout=20)
            assert refused.status_code == 503, refused.text
            assert "try again" in refused.json()["detail"].lower()
        await tracked.execute("ALTER TABLE data_version_not_yet RENAME TO data_version")
        await tracked.execute("DELETE FROM data_version")
        for _ in range(3):
            assert (await asyncio.wait_for(get(), timeout=20)).status_code == 503
        await tracked.execute("INSERT INTO data_version (version) VALUES (1)")
        assert (await asyncio.wait_for(get(), timeout=20)).status_code == 200
        assert app.state.route_runs == 1


async def test_a_304_is_counted_under_its_route(client, tracked):
    get, _app = client

    def counted(route: str) -> float:
        labels = {"service": "notes", "method": "GET", "route": route, "status": "304"}
        return REGISTRY.get_sample_value("http_requests_total", labels) or 0.0

    before = counted("/notes"), counted("unmatched")
    tag = (await get()).headers["ETag"]
    assert (await get(tag=tag)).status_code == 304
    assert (counted("/notes"), counted("unmatched")) == (before[0] + 1, before[1])


async def test_the_version_probe_says_what_every_tag_was_made_from_and_moves_with_every_write(
    client, tracked
):
    """`GET /v1/data-version` gives the value every tagged answer carries for the version and minute
    its tag was made from: equal values, equal tags, so a client that kept an answer may take an equal
    probe for the 304 it would get. The route never runs for it, and any write moves it."""
    get, app = client
    first = await get()
    made_from = first.headers[VERSION_HEADER]
    runs = app.state.route_runs
    probe = await get(path=VERSION_PATH)
    assert probe.status_code == 204 and probe.content == b""
    assert probe.headers[VERSION_HEADER] == made_from
    # One value for every caller: it says nothing about who may see what, only whether anything moved.
    assert (await get(OTHER, path=VERSION_PATH)).headers[VERSION_HEADER] == made_from
    revalidated = await get(tag=first.headers["ETag"])
    assert revalidated.status_code == 304 and revalidated.headers[VERSION_HEADER] == made_from
    assert app.state.route_runs == runs

    # Written straight to the database, as another process of the service or a consumer would.
    await tracked.execute("INSERT INTO notes (text) VALUES ($1)", uuid.uuid4().hex)
    moved = (await get(path=VERSION_PATH)).headers[VERSION_HEADER]
    assert moved != made_from
    fresh = await get(tag=first.headers["ETag"])
    assert fresh.status_code == 200 and fresh.headers[VERSION_HEADER] == moved


async def test_a_route_with_its_own_tag_carries_no_version_value(dsn, tracked, nats_server, identity_keys):
    """A route's own ETag (a revision, a feed's events) does not follow the data version: a kept answer
    of it must be revalidated by its own tag, so it says no version a probe could stand in for."""
    async with serving(dsn, nats_server.url, identity_keys) as (get, app):

        @app.get("/own")
        async def own() -> Response:
            return Response(b"{}", media_type="application/json", headers={"ETag": '"rev-7"'})

        answer = await get(path="/own")
        assert answer.headers["ETag"] == '"rev-7"' and VERSION_HEADER not in answer.headers


async def test_another_process_never_gives_the_same_version_value(dsn, tracked, nats_server, identity_keys):
    async with serving(dsn, nats_server.url, identity_keys) as (old, _app):
        before = (await old(path=VERSION_PATH)).headers[VERSION_HEADER]
    async with serving(dsn, nats_server.url, identity_keys) as (new, _app):
        assert (await new(path=VERSION_PATH)).headers[VERSION_HEADER] != before


async def test_a_route_with_its_own_tags_does_not_wait_for_the_data_version(
    dsn, tracked, nats_server, identity_keys
):
    """Once a path's 200 carried the route's own tag, our tag is never on its answers, so no client can
    hold one of ours for it: its requests skip the version query (a feed's 304 costs one query less).
    Seen from outside: with the version unreadable the other routes answer 503, it still answers; and
    when its route answers without a tag of its own again, ours is back from the next answer on."""
    async with serving(dsn, nats_server.url, identity_keys) as (get, app):
        app.state.own_tag = True

        @app.get("/own")
        async def own() -> Response:
            headers = {"ETag": '"rev-7"'} if app.state.own_tag else {}
            return Response(b"{}", media_type="application/json", headers=headers)

        assert (await get(path="/own")).headers["ETag"] == '"rev-7"'
        await tracked.execute("ALTER TABLE data_version RENAME TO data_version_away")
        try:
            assert (await get()).status_code == 503
            assert (await get(path="/own")).status_code == 200
            app.state.own_tag = False
            untagged = await get(path="/own")  # no tag at all this once: never a 304 of ours either
            assert untagged.status_code == 200 and "ETag" not in untagged.headers
            assert (await get(path="/own")).status_code == 503  # asks for the version again
        finally:
            await tracked.execute("ALTER TABLE data_version_away RENAME TO data_version")
        tagged = await get(path="/own")
        assert tagged.headers["ETag"].startswith('W/"') and VERSION_HEADER in tagged.headers
        assert (await get(path="/own", tag=tagged.headers["ETag"])).status_code == 304
