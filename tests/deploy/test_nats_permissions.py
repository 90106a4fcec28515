"""deploy/nats.conf on a real nats-server, without a container engine: what each service's user may do.

The streams and durables are made by the provisioning step (the `ops` user, as each service's
migrate one-shot does); a service's own user may publish its events and read through its durable,
and nothing more: no stream made, changed, sealed, purged or deleted, no push consumer, no reply of
another service read.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client as NATS
from nats.js.api import ConsumerConfig, RePublish, StreamConfig
from pydantic import BaseModel

from backbone.consumer import Consumer, Subscription
from backbone.embedded import EmbeddedNats, free_port, wait_until_ready
from backbone.runtime import Runtime, connect_nats
from backbone.settings import ServiceSettings
from backbone.streams import DEAD_LETTER_STREAM
from backbone.testing import eventually, run_async

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "deploy" / "nats.conf"
USERS = ("meetings", "events", "volunteers", "notify", "gateway", "ops")
MEETINGS_EVENT = "meetings.meeting.scheduled.v1"
# Who reads whose stream through a durable of its own (each service's consumers.py SUBSCRIPTIONS,
# volunteers' rights answers), with one subject of each.
READS = [
    ("notify", "meetings.meeting.scheduled.v1"),
    ("notify", "events.registration.created.v1"),
    ("notify", "volunteers.offer.sent.v1"),
    ("volunteers", "events.helpers.requested.v1"),
    ("volunteers", "notify.export.completed.v1"),
    ("volunteers", "events.erasure.completed.v1"),
    ("events", "volunteers.erasure.requested.v1"),
    ("events", "volunteers.assignment.confirmed.v1"),
]


class Seen(BaseModel):
    n: int = 0


class Server:
    def __init__(self, url: str, passwords: dict[str, str]) -> None:
        self.host = url.removeprefix("nats://")
        self.passwords = passwords

    def url(self, user: str) -> str:
        return f"nats://{user}:{self.passwords[user]}@{self.host}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """nats-server with the repository's deploy/nats.conf; only the ports and folder are this test's."""
    folder = tmp_path_factory.mktemp("natsconf")
    port, monitor = free_port(), free_port()
    passwords = {user: secrets.token_hex(16) for user in USERS}
    env = {
        **os.environ,
        "NATS_SERVER_NAME": "permissions",
        **{f"{user.upper()}_NATS_PASSWORD": pw for user, pw in passwords.items()},
    }
    # The one change: the JetStream folder (inside the volume in compose) is this test's own.
    text = CONF.read_text()
    assert "store_dir: /data/jetstream" in text
    conf = folder / "nats.conf"
    conf.write_text(text.replace("store_dir: /data/jetstream", f'store_dir: "{folder / "js"}"'))
    log = folder / "nats.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [
                EmbeddedNats.binary(),
                "-c",
                str(conf),
                "-a",
                "127.0.0.1",
                "-p",
                str(port),
                "-m",
                str(monitor),
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def healthy() -> bool:
        import urllib.request

        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{monitor}/healthz", timeout=1) as r:
                return bool(r.status == 200)
        except OSError:
            return False

    try:
        wait_until_ready(healthy, "NATS with deploy/nats.conf", 30, proc, log)
        yield Server(f"nats://127.0.0.1:{port}", passwords)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _settings(server: Server, service: str, *, as_user: str) -> ServiceSettings:
    return ServiceSettings(
        environment="test", service_name=service, nats_url=server.url(as_user), manage_streams=False
    )


async def _noop(conn: object, event: object, data: object) -> None:
    return None


@pytest.fixture(scope="module")
def provisioned(server: Server) -> None:
    """What each service's migrate one-shot does: provision with the ops user."""

    async def provision() -> None:
        await Runtime(_settings(server, "meetings", as_user="ops")).provision()
        await Runtime(_settings(server, "gateway", as_user="ops")).provision()
        await Runtime(_settings(server, "events", as_user="ops")).provision()
        # Streams first: notify, volunteers and events read each other's.
        await Runtime(_settings(server, "volunteers", as_user="ops")).provision()
        await Runtime(_settings(server, "notify", as_user="ops")).provision()
        for reader in ("notify", "volunteers", "events"):
            subjects = [subject for who, subject in READS if who == reader]
            await Runtime(
                _settings(server, reader, as_user="ops"),
                subscriptions=[Subscription(subject, Seen, _noop) for subject in subjects],
            ).provision()

    run_async(provision())


class Client:
    """A connection as one user, keeping the server's -ERR lines (permission violations)."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.nc: NATS | None = None

    async def open(self, url: str, service: str) -> NATS:
        async def on_error(exc: Exception) -> None:
            self.errors.append(str(exc))

        self.nc = await nats.connect(
            url, error_cb=on_error, max_reconnect_attempts=0, inbox_prefix=f"_INBOX.{service}"
        )
        return self.nc


@pytest.fixture
async def as_user(server: Server, provisioned: None) -> AsyncIterator:
    opened: list[Client] = []

    async def open_as(user: str) -> tuple[NATS, Client]:
        client = Client()
        opened.append(client)
        return await client.open(server.url(user), user), client

    yield open_as
    for client in opened:
        if client.nc is not None and not client.nc.is_closed:
            await client.nc.close()


async def _refused(call: object) -> None:
    """The JetStream API never answers a request the user may not publish: it times out."""
    with pytest.raises((nats.errors.TimeoutError, nats.errors.NoRespondersError, TimeoutError)):
        await call  # type: ignore[misc]


async def _stream(server: Server, name: str) -> StreamConfig:
    ops = await nats.connect(server.url("ops"))
    try:
        return (await ops.jetstream().stream_info(name)).config
    finally:
        await ops.close()


async def test_a_service_cannot_create_or_update_its_own_stream(server, as_user):
    nc, client = await as_user("meetings")
    js = nc.jetstream(timeout=1.0)
    current = await _stream(server, "MEETINGS")
    # With republish the server would re-send every MEETINGS message under notify's prefix.
    forged = StreamConfig(
        name="MEETINGS",
        subjects=current.subjects,
        republish=RePublish(src="meetings.>", dest="notify.forged.>"),
    )
    await _refused(js.update_stream(forged))
    await _refused(js.add_stream(StreamConfig(name="MEETINGS2", subjects=["meetings2.>"])))
    assert (await _stream(server, "MEETINGS")).republish is None
    await eventually(
        lambda: any("permissions violation for publish" in e for e in client.errors),
        "the server reports the violation",
        timeout=5,
    )


async def test_a_service_cannot_seal_shrink_purge_or_delete_the_dead_letters(server, as_user):
    nc, _ = await as_user("meetings")
    js = nc.jetstream(timeout=1.0)
    current = await _stream(server, DEAD_LETTER_STREAM)
    await _refused(
        js.update_stream(StreamConfig(name=DEAD_LETTER_STREAM, subjects=current.subjects, sealed=True))
    )
    await _refused(
        js.update_stream(StreamConfig(name=DEAD_LETTER_STREAM, subjects=current.subjects, max_msgs=1))
    )
    await _refused(js.purge_stream(DEAD_LETTER_STREAM))
    await _refused(js.delete_stream(DEAD_LETTER_STREAM))
    await _refused(js.delete_stream("MEETINGS"))
    after = await _stream(server, DEAD_LETTER_STREAM)
    assert (after.sealed, after.max_msgs) == (current.sealed, current.max_msgs)


async def test_notify_cannot_make_a_push_consumer_or_change_its_durable(server, as_user):
    nc, _ = await as_user("notify")
    js = nc.jetstream(timeout=1.0)
    push = ConsumerConfig(durable_name="notify", deliver_subject="gateway.listens.here")
    await _refused(js.add_consumer("MEETINGS", push))
    await _refused(js.add_consumer("MEETINGS", ConsumerConfig(deliver_subject="gateway.listens.here")))
    await _refused(js.delete_consumer("MEETINGS", "notify"))
    ops = await nats.connect(server.url("ops"))
    try:
        info = await ops.jetstream().consumer_info("MEETINGS", "notify")
    finally:
        await ops.close()
    assert info.config.deliver_subject is None, "still the pull consumer the provisioning made"


async def test_a_service_cannot_read_another_services_replies(as_user):
    nc, client = await as_user("meetings")
    for subject in ("_INBOX.notify.>", "_INBOX.>", "_INBOX.gateway.abc"):
        await nc.subscribe(subject)
    await nc.flush(timeout=5)
    await eventually(
        lambda: sum("permissions violation for subscription" in e for e in client.errors) >= 3,
        "the server refuses each subscription",
        timeout=5,
    )


async def test_each_service_does_its_work_with_what_it_may(server, provisioned):
    """Meetings publishes and gets JetStream's ack in its own inbox; notify reads it through its durable."""
    meetings = await connect_nats(server.url("meetings"), "meetings")
    notify = await connect_nats(server.url("notify"), "notify")
    try:
        ack = await meetings.jetstream().publish(MEETINGS_EVENT, b'{"n": 1}')
        assert ack.stream == "MEETINGS"
        await meetings.jetstream().publish("deadletter.meetings.meetings", b"{}")
        reader = Consumer(
            pool=None,  # type: ignore[arg-type]  # ensure and fetch need no database
            nc=notify,
            service="notify",
            durable="notify",
            stream="MEETINGS",
            subscriptions=[Subscription(MEETINGS_EVENT, Seen, _noop)],
            manage=False,
        )
        await reader.ensure()
        sub = await notify.jetstream().pull_subscribe_bind(durable="notify", stream="MEETINGS")
        [msg] = await sub.fetch(1, timeout=5)
        assert msg.subject == MEETINGS_EVENT
        await msg.ack()
    finally:
        await meetings.close()
        await notify.close()


@pytest.mark.parametrize(("reader", "subject"), READS)
async def test_a_consumer_reads_another_services_stream_through_its_durable(
    server, provisioned, reader, subject
):
    owner = subject.split(".", 1)[0]
    stream = owner.upper()
    publisher = await connect_nats(server.url(owner), owner)
    consumer = await connect_nats(server.url(reader), reader)
    try:
        ack = await publisher.jetstream().publish(subject, b'{"n": 1}')
        assert ack.stream == stream
        durable = Consumer(
            pool=None,  # type: ignore[arg-type]  # ensure and fetch need no database
            nc=consumer,
            service=reader,
            durable=reader,
            stream=stream,
            subscriptions=[Subscription(subject, Seen, _noop)],
            manage=False,
        )
        await durable.ensure()
        sub = await consumer.jetstream().pull_subscribe_bind(durable=reader, stream=stream)
        # The durable gets the owner's whole prefix: what the other cases published comes too.
        msgs = await sub.fetch(10, timeout=5)
        assert subject in [m.subject for m in msgs]
        for msg in msgs:
            await msg.ack()
    finally:
        await publisher.close()
        await consumer.close()
