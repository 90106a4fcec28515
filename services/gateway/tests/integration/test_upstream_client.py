"""The pages' client for the services, against a real HTTP server that answers conditional GETs."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web

from backbone.conditional import VERSION_HEADER, VERSION_PATH
from backbone.embedded import free_port
from backbone.identity import Identity
from backbone.testing import run_async
from gateway.upstream import (
    Answer,
    AnswerCache,
    CallAbandoned,
    NextCall,
    ServiceUnavailable,
    UpstreamClient,
)

ADA = Identity(subject="u-ada", roles=("staff",), name="Ada")
BO = Identity(subject="u-bo", roles=("org_representative",), organisation_id="bryggan", name="Bo")


class Service:
    """Answers GETs like the services do: an ETag from the data version, the caller and the URL, and
    304 to a matching If-None-Match without building the body."""

    def __init__(self) -> None:
        self.version = 1
        self.bodies_built = 0
        self.conditional: list[str | None] = []
        self.accept_encoding: str | None = None
        self.probes = 0
        self.says_versions = True
        # Set, the probe reads the version and then waits for it before it answers.
        self.hold_probe: asyncio.Event | None = None
        self.probe_read = asyncio.Event()
        # Set, a GET of /v1/thing reads the version and then waits for it before it answers.
        self.hold_thing: asyncio.Event | None = None
        self.thing_read = asyncio.Event()

    def etag(self, request: web.Request) -> str:
        seed = f"{self.version}|{request.headers.get('Authorization')}|{request.path_qs}"
        return f'W/"{hashlib.sha256(seed.encode()).hexdigest()[:16]}"'

    async def thing(self, request: web.Request) -> web.StreamResponse:
        etag = self.etag(request)
        version, said = self.version, self.version_header()
        self.conditional.append(request.headers.get("If-None-Match"))
        self.thing_read.set()
        if self.hold_thing is not None:
            await self.hold_thing.wait()
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag, **said})
        self.bodies_built += 1
        return web.json_response(
            {"version": version, "q": request.query_string}, headers={"ETag": etag, **said}
        )

    def version_header(self) -> dict[str, str]:
        return {VERSION_HEADER: f"v{self.version}"} if self.says_versions else {}

    async def data_version(self, _request: web.Request) -> web.StreamResponse:
        """As backbone.conditional answers its probe: 204 and the version (here the plain number)."""
        self.probes += 1
        if not self.says_versions:
            raise web.HTTPNotFound()
        said = self.version_header()
        self.probe_read.set()
        if self.hold_probe is not None:
            await self.hold_probe.wait()
        return web.Response(status=204, headers=said)

    async def big(self, request: web.Request) -> web.StreamResponse:
        size = int(request.match_info["size"])
        if request.query.get("streamed"):
            response = web.StreamResponse()
            response.enable_chunked_encoding()
            await response.prepare(request)
            for _ in range(size // 1_024):
                await response.write(b"x" * 1_024)
            await response.write_eof()
            return response
        return web.Response(body=b"x" * size)

    async def bomb(self, request: web.Request) -> web.StreamResponse:
        """A small compressed body that unpacks to far more than it says, whatever was asked for."""
        self.accept_encoding = request.headers.get("Accept-Encoding")
        packed = gzip.compress(b"0" * int(request.match_info["size"]))
        return web.Response(
            body=packed, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}
        )

    async def slow(self, _request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(5)
        return web.json_response({})


@asynccontextmanager
async def serving(service: Service) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/v1/thing", service.thing)
    app.router.add_get(VERSION_PATH, service.data_version)
    app.router.add_get("/v1/big/{size}", service.big)
    app.router.add_get("/v1/slow", service.slow)
    app.router.add_get("/v1/bomb/{size}", service.bomb)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def with_client(test: Callable[[UpstreamClient, str, Service], Awaitable[None]], **options: Any) -> None:
    async def run() -> None:
        service = Service()
        options.setdefault("max_response_bytes", 1_048_576)
        async with serving(service) as base, UpstreamClient(**options) as client:
            await test(client, base, service)

    run_async(run())


def headers(identity: Identity) -> dict[str, str]:
    return {"Authorization": f"Bearer token-of-{identity.subject}"}


async def get(client: UpstreamClient, base: str, path: str, who: Identity, *, probe: bool = False) -> Answer:
    """A page's GET on behalf of `who`, kept and revalidated under (who, service, path); with `probe`,
    by the service's data version where the kept answer carries it, as `Services.call` does."""
    return await client.request(
        "meetings",
        "GET",
        f"{base}{path}",
        headers=headers(who),
        cache_key=(who, "meetings", path),
        probe=(base, lambda: {"Authorization": "Bearer token-of-visitor"}) if probe else None,
    )


def test_an_unchanged_answer_is_revalidated_and_its_body_reused() -> None:
    async def test(client: UpstreamClient, base: str, service: Service) -> None:
        first = await get(client, base, "/v1/thing?a=1", ADA)
        again = await get(client, base, "/v1/thing?a=1", ADA)
        assert again.status_code == 200
        assert again.json() == first.json() == {"version": 1, "q": "a=1"}
        assert service.bodies_built == 1
        assert service.conditional == [None, first.etag]

    with_client(test, cache=AnswerCache())


def test_a_changed_answer_reaches_the_page_at_once() -> None:
    async def test(client: UpstreamClient, base: str, service: Service) -> None:
        await get(client, base, "/v1/thing", ADA)
        service.version = 2  # somebody saved something
        answer = await get(client, base, "/v1/thing", ADA)
        assert answer.json()["version"] == 2
        assert service.bodies_built == 2

    with_client(test, cache=AnswerCache())


def test_one_persons_answer_is_never_offered_for_another() -> None:
    async def test(client: UpstreamClient, base: str, service: Service) -> None:
        await get(client, base, "/v1/thing", ADA)
        await get(client, base, "/v1/thing", BO)
        # Bo's call carried no validator of Ada's, so the service built Bo's answer for Bo.
        assert service.conditional == [None, None]
        assert service.bodies_built == 2

    with_client(test, cache=AnswerCache())


def test_the_cache_keeps_the_most_recently_used_answers_within_its_bounds() -> None:
    cache = AnswerCache(max_entries=2, max_bytes=10)
    a, b, c = ((ADA, "meetings", f"/v1/{name}") for name in "abc")
    cache.put(a, Answer(200, b"aaa", 'W/"a"'))
    cache.put(b, Answer(200, b"bbb", 'W/"b"'))
    assert cache.get(a) is not None  # a is now the most recently used
    cache.put(c, Answer(200, b"ccc", 'W/"c"'))
    assert cache.get(b) is None
    assert cache.get(a) is not None and cache.get(c) is not None
    cache.put(b, Answer(200, b"b" * 8, 'W/"b"'))  # 3 + 8 bytes is more than 10: the oldest goes
    assert len(cache) == 1 and cache.get(b) is not None
    cache.put(a, Answer(200, b"a" * 11, 'W/"a"'))  # larger than the whole cache: not kept
    assert cache.get(a) is None


def test_an_answer_larger_than_the_cap_is_refused() -> None:
    async def test(client: UpstreamClient, base: str, _service: Service) -> None:
        small = await client.request("meetings", "GET", f"{base}/v1/big/4096", headers={})
        assert len(small.content) == 4096
        for url in (f"{base}/v1/big/20480", f"{base}/v1/big/20480?streamed=1"):
            with pytest.raises(ServiceUnavailable):
                await client.request("meetings", "GET", url, headers={})

    with_client(test, max_response_bytes=10_240)


def test_a_compressed_answer_cannot_pass_the_cap_by_unpacking() -> None:
    async def test(client: UpstreamClient, base: str, service: Service) -> None:
        with pytest.raises(ServiceUnavailable):
            await client.request("meetings", "GET", f"{base}/v1/bomb/{5 * 1_048_576}", headers={})
        # The client asks for the body as it is, so a service that honours that never compresses.
        assert service.accept_encoding == "identity"

    with_client(test, max_response_bytes=10_240)


def test_a_service_that_does_not_answer_is_unavailable() -> None:
    async def test(client: UpstreamClient, base: str, _service: Service) -> None:
        with pytest.raises(ServiceUnavailable):
            await client.request("meetings", "GET", f"{base}/v1/slow", headers={})
        with pytest.raises(ServiceUnavailable):
            await client.request("meetings", "GET", f"http://127.0.0.1:{free_port()}/v1/x", headers={})

    with_client(test, timeout=0.5)


def test_an_answer_whose_data_version_holds_is_reused_without_asking_for_it() -> None:
    async def test(client: UpstreamClient, base: str, service: Service) -> None:
        first = await get(client, base, "/v1/thing", ADA, probe=True)
        assert first.version == "v1" and service.probes == 0  # nothing kept yet: nothing to probe for
        for _ in range(3):
            again = await get(client, base, "/v1/thing", ADA, probe=True)
            assert again.json() == first.json()
        assert service.conditional == [None] and service.probes == 3

    with_client(test, cache=AnswerCache())


def test_a_moved_data_version_gets_the_new_answer_at_once() -> None:
    async def test(client: UpstreamClient, base: str, service: Service) -> None:
        first = await get(client, base, "/v1/thing", ADA, probe=True)
        service.version = 2  # somebody saved something, in whichever process
        answer = await get(client, base, "/v1/thing", ADA, probe=True)
        assert answer.json()["version"] == 2 and answer.version == "v2"
        # Asked with the kept tag, which no longer holds: built anew, and kept with its new version.
        assert service.conditional == [None, first.etag] and service.bodies_built == 2
        assert (await get(client, base, "/v1/thing", ADA, probe=True)).json()["version"] == 2
        assert service.bodies_built == 2

    with_client(test, cache=AnswerCache())


@pytest.mark.parametrize("held", ["probe", "call"])
def test_one_probe_or_call_answers_everyone_waiting_but_never_one_who_came_after_it_was_sent(
    held: str,
) -> None:
    """A page request that comes while a probe (or the same person's call) is out may come after a
    write that one did not see: it waits for the next one, and everyone who comes meanwhile shares it."""

    async def test(client: UpstreamClient, base: str, service: Service) -> None:
        probe = held == "probe"
        await get(client, base, "/v1/thing", ADA, probe=True)
        await get(client, base, "/v1/thing", BO, probe=True)
        sent = client.freshness if probe else client.calls
        before = sent.sent
        hold, read = asyncio.Event(), service.probe_read if probe else service.thing_read
        read.clear()
        if probe:
            service.hold_probe = hold
        else:
            service.hold_thing = hold
        before_the_write = asyncio.create_task(get(client, base, "/v1/thing", ADA, probe=probe))
        await asyncio.wait_for(read.wait(), 5)  # the probe or call has read version 1
        service.version = 2  # committed now, after it read the version
        # Who may share: everyone for a probe; only the same person for a call.
        later = (ADA, BO, ADA) if probe else (ADA, ADA, ADA)
        after_the_write = [
            asyncio.create_task(get(client, base, "/v1/thing", who, probe=probe)) for who in later
        ]
        await asyncio.sleep(0.1)
        assert sent.sent == before + 1  # the later ones wait for the next; they do not join this one
        hold.set()
        assert (await before_the_write).json()["version"] == 1  # it came before the write
        assert [(await t).json()["version"] for t in after_the_write] == [2, 2, 2]
        assert sent.sent == before + 2  # one more for all three

    with_client(test, cache=AnswerCache())


def test_after_a_write_everyone_waiting_for_one_page_shares_one_new_answer() -> None:
    """Each minute and after every write, every kept answer is out of date at once: the 32 staff
    waiting for the start page must not each have the service build the same answer anew."""

    async def test(client: UpstreamClient, base: str, service: Service) -> None:
        await get(client, base, "/v1/thing", ADA, probe=True)
        service.version = 2
        answers = await asyncio.gather(*(get(client, base, "/v1/thing", ADA, probe=True) for _ in range(12)))
        assert {a.json()["version"] for a in answers} == {2}
        assert service.bodies_built == 2  # the first answer and the one after the write, for all twelve
        # Another person's answer is never the one shared.
        assert (await get(client, base, "/v1/thing", BO, probe=True)).json()["version"] == 2
        assert service.bodies_built == 3

    with_client(test, cache=AnswerCache())


def test_a_call_that_waited_for_the_one_before_it_is_sent_with_headers_made_when_it_is_sent() -> None:
    # An identity token picked when the request came could expire while the call waits its turn.
    async def test(client: UpstreamClient, base: str, service: Service) -> None:
        made: list[int] = []

        def fresh() -> dict[str, str]:
            made.append(len(service.conditional))  # how many calls the service had seen by then
            return headers(ADA)

        service.hold_thing = asyncio.Event()
        key = (ADA, "meetings", "/v1/thing")
        first = asyncio.create_task(client.request("meetings", "GET", f"{base}/v1/thing", headers=fresh,
                                                   cache_key=key))
        await asyncio.wait_for(service.thing_read.wait(), 5)
        second = asyncio.create_task(client.request("meetings", "GET", f"{base}/v1/thing", headers=fresh,
                                                    cache_key=key))
        await asyncio.sleep(0.1)
        assert made == [0], "the waiting call's headers are not made before it is sent"
        service.hold_thing.set()
        await asyncio.gather(first, second)
        assert made == [0, 1]

    with_client(test, cache=AnswerCache())


def test_a_caller_waits_no_longer_than_its_patience_even_behind_a_call_that_hangs() -> None:
    async def test() -> None:
        calls: NextCall[str, str] = NextCall(patience=0.2)
        hanging = asyncio.Event()

        async def hang() -> str:
            await hanging.wait()
            return "late"

        first = asyncio.create_task(calls.current("k", hang))
        await asyncio.sleep(0)
        with pytest.raises(TimeoutError):
            await calls.current("k", hang)  # joins the next call, behind the one that hangs
        with pytest.raises(TimeoutError):
            await first
        await calls.close()  # the calls still on their way are stopped, and nothing is left behind
        assert calls.sent == 1 and not calls._running and not calls._sending and not calls._next

    run_async(test())


def test_closing_answers_every_caller_even_of_a_call_cancelled_before_it_began() -> None:
    async def test() -> None:
        calls: NextCall[str, str] = NextCall()  # no patience: a caller left unanswered would hang

        async def never() -> str:
            await asyncio.Event().wait()
            return "never"

        first = asyncio.create_task(calls.current("k", never))
        await asyncio.sleep(0)  # registered, its call's task not yet begun
        second = asyncio.create_task(calls.current("k", never))
        await asyncio.sleep(0)
        await calls.close()
        for caller in (first, second):
            with pytest.raises(CallAbandoned):
                await asyncio.wait_for(caller, 2)
        with pytest.raises(CallAbandoned):
            await calls.current("k", never)  # nothing is sent once closed
        assert calls.sent == 1 and not calls._running and not calls._sending and not calls._next

    run_async(test())


def test_a_shared_call_that_fails_fails_for_everyone_who_waited_on_it() -> None:
    async def test(client: UpstreamClient, base: str, _service: Service) -> None:
        calls = [
            client.request(
                "meetings",
                "GET",
                f"{base}/v1/slow",
                headers=headers(ADA),
                cache_key=(ADA, "meetings", "/v1/slow"),
            )
            for _ in range(3)
        ]
        results = await asyncio.gather(*calls, return_exceptions=True)
        assert all(isinstance(r, ServiceUnavailable) for r in results), results

    with_client(test, cache=AnswerCache(), timeout=0.2)


def test_without_a_data_version_the_kept_answer_is_revalidated_by_its_tag() -> None:
    async def test(client: UpstreamClient, base: str, service: Service) -> None:
        service.says_versions = False
        first = await get(client, base, "/v1/thing", ADA, probe=True)
        assert first.version is None
        await get(client, base, "/v1/thing", ADA, probe=True)
        assert service.probes == 0 and service.conditional == [None, first.etag]

    with_client(test, cache=AnswerCache())


def test_a_probe_that_says_nothing_falls_back_to_the_call() -> None:
    async def test(client: UpstreamClient, base: str, service: Service) -> None:
        first = await get(client, base, "/v1/thing", ADA, probe=True)
        service.says_versions = False  # the probe is not found (an older process, say)
        again = await get(client, base, "/v1/thing", ADA, probe=True)
        assert again.json() == first.json()
        assert service.probes == 1 and service.conditional == [None, first.etag]

    with_client(test, cache=AnswerCache())
