"""The registration desk when things go wrong: a batch cut short, a crowd, a lost database, a shutdown."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
from joserfc.jwk import OKPKey

from backbone.testing import eventually, in_process
from events.app import create_app
from events.links import Signer
from events.registration_desk import RegistrationDesk
from events.registrations import Context, NewRegistration
from events.settings import Settings

from .conftest import Client
from .world import RECEIVED, person, published_event

UNAVAILABLE = 503


def register_url(event: dict[str, Any]) -> str:
    return f"/v1/public/events/{event['id']}/registrations"


async def names(client: Any, event: dict[str, Any]) -> list[str]:
    page = await client.get(f"/v1/events/{event['id']}/registrations", params={"limit": 200})
    return sorted(r["name"] for r in page["items"])


def context_of(settings: Settings) -> Callable[[], Context]:
    signer = Signer(settings.link_key)
    return lambda: Context(signer=signer, zone=settings.zone, now=datetime.now(UTC))


def serving_tasks() -> list[asyncio.Task[Any]]:
    """The desk's tasks that write batches, however many desks there are."""
    return [
        t for t in asyncio.all_tasks()
        if getattr(t.get_coro(), "__qualname__", "") == "RegistrationDesk._serve" and not t.done()
    ]


@asynccontextmanager
async def event_held(dsn: str, event: dict[str, Any]) -> AsyncIterator[Callable[[], Any]]:
    """The event's row locked by another transaction, as a long batch of another process would hold it.

    Yields a probe: how many statements wait for a lock in the database (the desk's batch, once it
    has reached the event)."""
    conn = await asyncpg.connect(dsn)
    probe = await asyncpg.connect(dsn)
    held = conn.transaction()
    await held.start()
    await conn.execute("SELECT 1 FROM events WHERE id = $1 FOR UPDATE", uuid.UUID(event["id"]))

    async def waiting_for_locks() -> int:
        return int(await probe.fetchval(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ))

    try:
        yield waiting_for_locks
    finally:
        await held.rollback()
        await conn.close()
        await probe.close()


def send(client: Client, event: dict[str, Any], n: int) -> asyncio.Task[httpx.Response]:
    """A visitor's registration on the public form, sent in the background."""
    return asyncio.create_task(client.call("POST", register_url(event), json=person(n), as_=()))


async def cut_short(client: Client, event: dict[str, Any]) -> asyncio.Task[httpx.Response]:
    """A registration whose batch is cancelled while it waits for the event's lock."""
    async with event_held(client.dsn, event) as waiting_for_locks:
        first = send(client, event, 1)
        await eventually(waiting_for_locks, "the batch waits for the event's lock")
        (serving,) = serving_tasks()
        serving.cancel()
    return first


async def three_at_once(desk: RegistrationDesk) -> list[Any]:
    """What the desk answers three people registering for one event at once (one batch)."""
    event_id = uuid.uuid4()
    calls = [
        asyncio.create_task(desk.register(event_id, NewRegistration(
            name=f"Person {n}", email=f"person{n}@example.se", phone=None
        )))
        for n in range(3)
    ]
    return await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), 10)


def assert_come_back_later(
    answer: httpx.Response, detail: str | None = None, *, perhaps_taken: bool | None = None
) -> None:
    assert answer.status_code == UNAVAILABLE, answer.text
    assert int(answer.headers["Retry-After"]) > 0
    said = answer.json()["detail"]
    assert "försök igen" in said.lower(), said
    if detail is not None:
        assert said == detail
    if perhaps_taken is not None:
        # The gateway gives the attempt back to the address's budget only when nothing was taken.
        assert answer.json()["perhaps_taken"] is perhaps_taken, answer.text


async def test_a_cancelled_batch_answers_its_callers_and_later_registrations_still_go_through(
    client: Client,
) -> None:
    event = await published_event(client, capacity=10)
    first = await cut_short(client, event)
    # The next registration of the same event finds no queue left over by the cut-short batch.
    await asyncio.wait_for(client.public(register_url(event), person(2), expect=RECEIVED), 5)
    assert await names(client, event) == ["Person 2"]
    # And the person whose batch was cut short is told to try again, instead of waiting forever; its
    # commit may have been on its way.
    assert_come_back_later(await asyncio.wait_for(first, 5), perhaps_taken=True)


async def test_a_crowd_larger_than_the_queue_is_asked_to_come_back_later(client: Client) -> None:
    event = await published_event(client, capacity=10)
    original = client.app.state.registration_desk
    desk = RegistrationDesk(lambda: client.pool, context_of(client.settings), max_waiting=2)
    client.app.state.registration_desk = desk
    event_id = uuid.UUID(event["id"])
    try:
        async with event_held(client.dsn, event) as waiting_for_locks:
            first = send(client, event, 1)
            await eventually(waiting_for_locks, "the first batch waits for the event's lock")
            queued = []
            for n in (2, 3):
                queued.append(send(client, event, n))
                await eventually(lambda n=n: desk.waiting(event_id) == n - 1, f"person {n} waits in line")
            # The line is full: the next person is answered at once, while the others still wait.
            assert_come_back_later(
                await asyncio.wait_for(client.call("POST", register_url(event), json=person(4), as_=()), 5),
                "För många anmälningar just nu, försök igen om en stund.",
                perhaps_taken=False,
            )
        for answer in await asyncio.wait_for(asyncio.gather(first, *queued), 10):
            assert answer.status_code == RECEIVED, answer.text
    finally:
        client.app.state.registration_desk = original
    assert await names(client, event) == ["Person 1", "Person 2", "Person 3"]


async def test_a_lost_database_fails_the_whole_batch_at_once_instead_of_one_by_one() -> None:
    from events.registration_desk import Unavailable

    # A "database" that hangs up on every connection, as a server that went away would.
    attempts = 0

    async def hang_up(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal attempts
        attempts += 1
        writer.close()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    pool = await asyncpg.create_pool(
        f"postgresql://events@127.0.0.1:{port}/events?sslmode=disable", min_size=0, max_size=5
    )
    try:
        settings = Settings(environment="test")
        desk = RegistrationDesk(lambda: pool, context_of(settings))
        event_id = uuid.uuid4()
        # Asked in one go, so that they are one batch.
        calls = [
            asyncio.create_task(desk.register(event_id, NewRegistration(
                name=f"Person {n}", email=f"person{n}@example.se", phone=None
            )))
            for n in range(3)
        ]
        answers = await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), 10)
        assert attempts == 1, f"{attempts} connections for one batch"
        for answer in answers:
            assert isinstance(answer, Unavailable), repr(answer)
            assert "försök igen" in str(answer).lower()
    finally:
        await pool.close()
        server.close()
        await server.wait_closed()


async def test_a_closed_pool_answers_the_whole_batch_try_again_instead_of_an_error() -> None:
    from events.registration_desk import Unavailable

    # asyncpg says InterfaceError ("pool is closed"), not a connection error, once the pool is gone.
    pool = await asyncpg.create_pool("postgresql://events@127.0.0.1:1/events", min_size=0, max_size=1)
    await pool.close()
    desk = RegistrationDesk(lambda: pool, context_of(Settings(environment="test")))
    for answer in await three_at_once(desk):
        assert isinstance(answer, Unavailable), repr(answer)


async def test_bad_input_the_driver_refuses_is_that_persons_error_not_a_lost_database() -> None:
    from events.registration_desk import Unavailable

    # The driver's own DataError (a value it cannot send; not the server's SQLSTATE 22 one) is an
    # InterfaceError, as a closed pool's is; only the closed pool is the database away.
    refused = asyncpg.exceptions._base.DataError
    assert issubclass(refused, asyncpg.exceptions.InterfaceError)

    class Refusing(RegistrationDesk):
        async def _register(self, event_id: uuid.UUID, people: list[NewRegistration]) -> list[Any]:
            raise refused("invalid input for query argument $2: 'x' (an int is required)")

    desk = Refusing(lambda: None, context_of(Settings(environment="test")))  # type: ignore[arg-type,return-value]
    for answer in await three_at_once(desk):
        assert isinstance(answer, refused) and not isinstance(answer, Unavailable), repr(answer)


async def test_a_batch_cut_short_says_the_registration_may_have_gone_through_and_sending_again_is_safe(
    client: Client,
) -> None:
    # The commit may have been on its way when the batch was cut short: "not saved" could be wrong.
    event = await published_event(client, capacity=10)
    first = await cut_short(client, event)
    said = (await asyncio.wait_for(first, 5)).json()["detail"]
    assert "kanske" in said and "två gånger" in said, said


async def test_a_shutdown_answers_everyone_waiting_and_stops_the_desk(
    settings_factory: Callable[..., Settings], signing_key: OKPKey
) -> None:
    settings = settings_factory()
    app = create_app(settings)
    running = in_process(app, "http://events")
    http = await running.__aenter__()
    stopping: asyncio.Task[Any] | None = None
    try:
        client = Client(http, dsn=settings.database_url, settings=settings, key=signing_key, app=app,
                        audience="events")
        desk: RegistrationDesk = app.state.registration_desk
        event = await published_event(client, capacity=10)
        async with event_held(client.dsn, event) as waiting_for_locks:
            writing = send(client, event, 1)
            await eventually(waiting_for_locks, "the batch waits for the event's lock")
            queued = send(client, event, 2)
            await eventually(lambda: desk.waiting(uuid.UUID(event["id"])) == 1, "person 2 waits in line")
            stopping = asyncio.create_task(running.__aexit__(None, None, None))
            # The one in line is not kept waiting for the batch being written: no new batch starts.
            assert_come_back_later(await asyncio.wait_for(asyncio.shield(queued), 2), perhaps_taken=False)
            # The batch being written gets its time to finish, then is cut short and told so.
            assert_come_back_later(await asyncio.wait_for(asyncio.shield(writing), 10))
            await asyncio.wait_for(asyncio.shield(stopping), 15)
        assert serving_tasks() == []
        from events.registration_desk import Unavailable

        try:
            await desk.register(uuid.UUID(event["id"]), NewRegistration(name="Sen", email="sen@example.se",
                                                                        phone=None))
        except Unavailable:
            pass
        else:
            raise AssertionError("a stopped desk took a registration")
    finally:
        if stopping is None:
            await running.__aexit__(None, None, None)
        elif not stopping.done():
            await stopping
