"""Streams: created at first start from settings; afterwards what an operator set stays."""

import uuid

import nats
from nats.js.api import StreamConfig
from nats.js.errors import APIError

from backbone.embedded import EmbeddedNats, free_port
from backbone.runtime import Runtime
from backbone.settings import ServiceSettings
from backbone.streams import DEAD_LETTER_STREAM, dead_letter_stream, ensure_stream, service_stream


async def test_start_up_never_undoes_limits_an_operator_set(nc):
    name = "t" + uuid.uuid4().hex[:12]
    js = nc.jetstream()
    await ensure_stream(js, service_stream(name))
    config = (await js.stream_info(name.upper())).config
    config.max_age = 3600.0
    config.max_msgs = 1000
    config.max_bytes = 10_000_000
    await js.update_stream(config)

    await ensure_stream(js, service_stream(name))  # the next start
    kept = (await js.stream_info(name.upper())).config
    assert (kept.max_age, kept.max_msgs, kept.max_bytes) == (3600.0, 1000, 10_000_000)


async def test_start_up_adds_missing_subjects_and_keeps_the_operators(nc):
    prefix = "t" + uuid.uuid4().hex[:12]
    js = nc.jetstream()
    await js.add_stream(StreamConfig(name=prefix.upper(), subjects=[f"{prefix}.a.>", f"{prefix}.ops.>"]))
    await ensure_stream(js, StreamConfig(name=prefix.upper(), subjects=[f"{prefix}.a.>", f"{prefix}.b.>"]))
    subjects = (await js.stream_info(prefix.upper())).config.subjects
    assert sorted(subjects or []) == sorted([f"{prefix}.a.>", f"{prefix}.ops.>", f"{prefix}.b.>"])


async def test_a_new_stream_takes_its_replicas_and_limits_from_settings(nc):
    name = "t" + uuid.uuid4().hex[:12]
    settings = ServiceSettings(
        environment="test",
        service_name=name,
        stream_replicas=1,
        stream_max_age_seconds=7200.0,
        stream_max_bytes=50_000_000,
    )
    [own, dead, *_] = Runtime(settings).streams
    assert (own.num_replicas, own.max_age, own.max_bytes) == (1, 7200.0, 50_000_000)
    assert dead.num_replicas == 1
    js = nc.jetstream()
    await ensure_stream(js, own)
    made = (await js.stream_info(name.upper())).config
    assert (made.num_replicas, made.max_age, made.max_bytes) == (1, 7200.0, 50_000_000)


async def test_dead_letters_are_kept_until_an_operator_removes_them(tmp_path):
    assert not dead_letter_stream().max_age, "no age limit by default"
    server = EmbeddedNats(tmp_path / "js", free_port())
    server.start()
    try:
        client = await nats.connect(server.url)
        js = client.jetstream()
        # As every start before this change made it: 90 days, then gone unseen.
        await js.add_stream(
            StreamConfig(name=DEAD_LETTER_STREAM, subjects=["deadletter.>"], max_age=90 * 24 * 3600.0)
        )
        await ensure_stream(js, dead_letter_stream())
        assert not (await js.stream_info(DEAD_LETTER_STREAM)).config.max_age
        await client.close()
    finally:
        server.stop()


async def test_a_full_stream_refuses_new_messages_instead_of_dropping_unread_ones(nc):
    """With DiscardPolicy.OLD a stream at its size limit silently drops its oldest messages, read
    or not; with NEW it refuses the publish, and the relay keeps the event and tries again."""
    name = "t" + uuid.uuid4().hex[:12]
    js = nc.jetstream()
    await ensure_stream(js, service_stream(name, max_bytes=4096))
    refused = 0
    for n in range(20):
        try:
            await js.publish(f"{name}.thing.happened.v1", b"x" * 500, headers={"Nats-Msg-Id": f"m{n}"})
        except APIError:
            refused += 1
    assert refused > 0
    first = await js.get_msg(name.upper(), 1)
    assert first.headers is not None and first.headers["Nats-Msg-Id"] == "m0"
