"""Services that may not manage streams: a provisioning step makes streams and durables; they check."""

import uuid

import nats
import pytest
from nats.js.api import ConsumerConfig
from nats.js.errors import NotFoundError

from backbone.consumer import Subscription
from backbone.runtime import Runtime, connect_nats
from backbone.settings import ServiceSettings
from backbone.streams import NotProvisioned, ensure_stream, service_stream

from .conftest import Happened


async def _ignore(conn, event, data) -> None:
    return None


def _runtime(dsn: str, url: str, *, reads: str, manage: bool) -> Runtime:
    name = "c" + uuid.uuid4().hex[:12]
    settings = ServiceSettings(
        environment="test", service_name=name, database_url=dsn, nats_url=url, manage_streams=manage
    )
    return Runtime(settings, subscriptions=[Subscription(f"{reads}.thing.happened.v1", Happened, _ignore)])


async def test_a_stream_that_is_not_there_is_not_made_when_not_managing(nc):
    name = "t" + uuid.uuid4().hex[:12]
    with pytest.raises(NotProvisioned, match=f"The stream {name.upper()} does not exist.*provision"):
        await ensure_stream(nc.jetstream(), service_stream(name), manage=False)
    with pytest.raises(NotFoundError):
        await nc.jetstream().stream_info(name.upper())


async def test_a_service_that_may_not_manage_streams_does_not_start_before_provisioning(
    dsn, nats_server, owner
):
    runtime = _runtime(dsn, nats_server.url, reads=owner.name, manage=False)
    with pytest.raises(NotProvisioned, match="does not exist"):
        await runtime.start()
    await runtime.stop()
    client = await nats.connect(nats_server.url)
    try:
        with pytest.raises(NotFoundError):
            await client.jetstream().stream_info(runtime.settings.stream_name)
    finally:
        await client.close()


async def test_after_provisioning_the_service_starts_and_only_checks(dsn, nats_server, owner):
    managing = _runtime(dsn, nats_server.url, reads=owner.name, manage=True)
    provisioned = await managing.provision()
    name = managing.settings.service_name
    assert provisioned == [
        f"stream {name.upper()}",
        "stream DEADLETTER",
        f"consumer {owner.stream}/{name}",
    ]
    checking = Runtime(
        managing.settings.model_copy(update={"manage_streams": False}),
        subscriptions=managing.subscriptions,
    )
    await checking.start()
    try:
        assert await checking.readiness() == {
            "database": True,
            "nats": True,
            "streams": True,
            "loops": True,
            "outbox": True,
        }
        [consumer] = checking.consumers
        await consumer.ensure()
    finally:
        await checking.stop()


async def test_a_push_durable_is_refused_when_not_managing(dsn, nats_server, owner):
    runtime = _runtime(dsn, nats_server.url, reads=owner.name, manage=True)
    await runtime.provision()
    name = runtime.settings.service_name
    client = await nats.connect(nats_server.url)
    try:
        js = client.jetstream()
        await js.delete_consumer(owner.stream, name)
        await js.add_consumer(owner.stream, ConsumerConfig(durable_name=name, deliver_subject="anyone.reads"))
    finally:
        await client.close()
    checking = Runtime(
        runtime.settings.model_copy(update={"manage_streams": False}), subscriptions=runtime.subscriptions
    )
    with pytest.raises(NotProvisioned, match="push consumer"):
        await checking.start()
    await checking.stop()


async def test_replies_come_to_an_inbox_of_the_services_own(nats_server):
    client = await connect_nats(nats_server.url, "meetings")
    try:
        assert client.new_inbox().startswith("_INBOX.meetings.")
        # JetStream's answers come there too: an API call works through it.
        await client.jetstream().account_info()
    finally:
        await client.close()


async def test_provisioning_a_reader_before_the_stream_it_reads_says_which_to_provision_first(
    dsn, nats_server
):
    owner = "o" + uuid.uuid4().hex[:12]
    runtime = _runtime(dsn, nats_server.url, reads=owner, manage=True)
    with pytest.raises(NotProvisioned, match=f"The stream {owner.upper()} that .* reads does not exist yet"):
        await runtime.provision()
