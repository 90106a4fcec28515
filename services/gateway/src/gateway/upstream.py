"""Calls to the services on behalf of the signed-in person, with an identity minted for that service."""

from __future__ import annotations

import asyncio
import contextvars
import json
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass, replace
from typing import Annotated, Any, Generic, TypeVar
from urllib.parse import urlencode

import aiohttp
from fastapi import Depends, Request
from joserfc.jwk import OKPKey
from yarl import URL

from backbone.conditional import VERSION_HEADER, VERSION_PATH
from backbone.correlation import REQUEST_ID_HEADER, current_request_id
from backbone.identity import DEFAULT_TTL_SECONDS, Identity, mint
from gateway import audit
from gateway.auth import CurrentUser
from gateway.i18n import current_locale
from gateway.sessions import SignedIn


@dataclass(frozen=True, slots=True)
class Answer:
    """A service's answer, read in full: what the pages and `Outcome` look at."""

    status_code: int
    content: bytes
    etag: str | None = None
    # The service's data version this answer's ETag was made from (backbone.conditional's
    # X-Data-Version); None from a service or route whose tags do not follow it.
    version: str | None = None

    def json(self) -> Any:
        return json.loads(self.content)

    def data(self) -> Any:
        """What `Services.get_json` gives: the parsed body of a success, None for a refusal."""
        return self.json() if self.status_code < 400 else None


CacheKey = tuple[Identity, str, str]


class AnswerCache:
    """The last answer to each GET, per (exact identity, service, path and query), with its ETag.

    Honest by construction: the entry is only ever a validator. Every call still goes to the service
    with `If-None-Match`, and the service decides (from its data version, the minute, the caller and the
    URL) whether the body is still what it would answer now; only a `304` reuses it. The identity is
    the whole identity the session lookup found, so nothing is shared between people or roles. Bounded
    by entries and bytes, least recently used first out. The pages rendered from such answers are kept
    here too, under keys of their own (`rendering.render_kept`), within the same bounds.
    """

    def __init__(self, *, max_entries: int = 2_000, max_bytes: int = 32 * 1_048_576) -> None:
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._bytes = 0
        self._answers: OrderedDict[Hashable, Answer] = OrderedDict()

    def __len__(self) -> int:
        return len(self._answers)

    def get(self, key: Hashable) -> Answer | None:
        answer = self._answers.get(key)
        if answer is not None:
            self._answers.move_to_end(key)
        return answer

    def put(self, key: Hashable, answer: Answer) -> None:
        self.drop(key)
        if self._max_entries <= 0 or len(answer.content) > self._max_bytes:
            return
        self._answers[key] = answer
        self._bytes += len(answer.content)
        while len(self._answers) > self._max_entries or self._bytes > self._max_bytes:
            _key, oldest = self._answers.popitem(last=False)
            self._bytes -= len(oldest.content)

    def drop(self, key: Hashable) -> None:
        old = self._answers.pop(key, None)
        if old is not None:
            self._bytes -= len(old.content)


# A probe is a short cut: one that takes longer is given up, and the call is made instead.
PROBE_SECONDS = 2.0
PROBE_TIMEOUT = aiohttp.ClientTimeout(total=PROBE_SECONDS)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class CallAbandoned(Exception):
    """The shared call was stopped (cancelled, the gateway shutting down) before it had an answer."""


class NextCall(Generic[K, V]):
    """One call per key on its way at a time, answering everyone who asked for it meanwhile.

    Whoever asks while a call for the same key is on its way joins the next one, which is sent only
    once the one before it has its answer: so every caller is answered by a call sent after it came,
    and sees every write committed before it came, in whichever process of the service, just as a
    call of its own would. Under load one call stands in for many; alone, it costs what it costs. A
    call that fails fails for everyone waiting on it. Nothing is kept once a key has no call on its
    way, so keys (a person's page, a service's probe) cost nothing while idle.

    A caller waits at most `patience` seconds in all (TimeoutError), however long the call before
    its own took. The call runs in the context of the caller who asked for it first (its request id).
    """

    def __init__(self, *, patience: float | None = None) -> None:
        self._patience = patience
        self._sending: dict[K, asyncio.Future[V]] = {}
        self._next: dict[K, tuple[asyncio.Future[V], Callable[[], Awaitable[V]], contextvars.Context]] = {}
        self._running: set[asyncio.Task[None]] = set()
        self._closed = False
        self.sent = 0  # calls sent, for the tests

    async def current(self, key: K, call: Callable[[], Awaitable[V]]) -> V:
        """What `call` answers when sent after this began (by this caller or by one it joined)."""
        if self._closed:
            raise CallAbandoned()
        if key not in self._sending:
            waiting: asyncio.Future[V] = asyncio.get_running_loop().create_future()
            self._send(key, waiting, call, contextvars.copy_context())
        elif key in self._next:
            waiting = self._next[key][0]
        else:
            waiting = asyncio.get_running_loop().create_future()
            self._next[key] = (waiting, call, contextvars.copy_context())
        # Shielded: a caller that gives up (a closed browser tab) leaves the call to the others.
        async with asyncio.timeout(self._patience):
            return await asyncio.shield(waiting)

    async def close(self) -> None:
        """Stops the calls on their way and sends no more; whoever waits gets CallAbandoned (also
        for a call cancelled before it began, whose own clean-up never runs)."""
        self._closed = True
        waiting = [*self._sending.values(), *(future for future, _call, _context in self._next.values())]
        self._sending.clear()
        self._next.clear()
        for future in waiting:
            if not future.done():
                future.set_exception(CallAbandoned())
        for task in list(self._running):
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)

    def _send(
        self,
        key: K,
        waiting: asyncio.Future[V],
        call: Callable[[], Awaitable[V]],
        context: contextvars.Context,
    ) -> None:
        self._sending[key] = waiting
        self.sent += 1
        # Read, so a failure nobody waits for any more is not reported as never retrieved.
        waiting.add_done_callback(lambda done: done.cancelled() or done.exception())
        task = asyncio.create_task(self._answer(key, waiting, call), context=context)
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _answer(self, key: K, waiting: asyncio.Future[V], call: Callable[[], Awaitable[V]]) -> None:
        try:
            value = await call()
        except Exception as exc:  # noqa: BLE001 - handed to every caller waiting on it
            _settle(waiting, exc=exc)
        except BaseException:
            # Cancelled (a shutdown): the callers get an error of their own, not the cancellation.
            _settle(waiting, exc=CallAbandoned())
            raise
        else:
            _settle(waiting, value=value)
        finally:
            if self._sending.get(key) is waiting:
                del self._sending[key]
            following = self._next.pop(key, None)
            if following is not None and not self._closed:
                self._send(key, *following)


def _settle(future: asyncio.Future[Any], *, value: Any = None, exc: BaseException | None = None) -> None:
    """A future answered once: `close` may have answered it already."""
    if future.done():
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(value)


class ServiceUnavailable(Exception):
    """`service` could not be reached, timed out, answered too much, or answered 5xx (`answer`).

    `reached` is False only when no connection could be made, so the request surely never got there.
    """

    def __init__(self, service: str, *, answer: Answer | None = None, reached: bool = True) -> None:
        super().__init__(service)
        self.service = service
        self.answer = answer
        self.reached = reached


class UpstreamClient:
    """The pages' calls to the services, on one aiohttp session.

    aiohttp instead of httpx: httpx (with httpcore and anyio under it) was about half of the gateway's
    CPU on the staff pages (bench/README.md). The session keeps no cookies (it is shared by everybody's
    calls) and lets idle connections go after 4 s, before uvicorn's own 5 s keep-alive ends them from
    the other side (a call on a connection the service is closing would make the page answer 502).

    Bodies are never unpacked: the client asks for `identity` and reads the bytes as sent, so the size
    cap counts what lands in memory (a small gzip body could unpack to gigabytes). A service that
    compresses anyway is refused; none does.
    """

    def __init__(
        self,
        *,
        max_response_bytes: int,
        timeout: float = 30.0,
        connections: int = 64,
        cache: AnswerCache | None = None,
    ) -> None:
        self._max_response_bytes = max_response_bytes
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._connections = connections
        self.cache = cache if cache is not None else AnswerCache(max_entries=0)
        # The services' data-version probes, by URL. A kept answer carrying the data version its ETag
        # was made from is what the service would answer now (it would say 304) while its version and
        # minute are the same, which `GET /v1/data-version` tells (backbone.conditional); one probe
        # stands in for every page request waiting on it.
        self.freshness: NextCall[str, str | None] = NextCall(patience=2 * PROBE_SECONDS)
        # The page requests' calls, by cache key (one person's GET): after a write, or at the turn of
        # the minute, every kept answer is out of date at once, and the service builds each anew once.
        self.calls: NextCall[CacheKey, Answer] = NextCall(patience=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> UpstreamClient:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self._connections, keepalive_timeout=4.0),
            timeout=self._timeout,
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,
        )
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.freshness.close()
        await self.calls.close()
        if self._session is not None:
            await self._session.close()

    async def request(
        self,
        service: str,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | Callable[[], Mapping[str, str]],
        json: Any = None,
        cache_key: CacheKey | None = None,
        probe: tuple[str, Callable[[], dict[str, str]]] | None = None,
    ) -> Answer:
        """The service's answer; `ServiceUnavailable` if it cannot be reached, times out or answers
        more than `max_response_bytes`. With `cache_key` (GETs only), revalidates the last answer:
        with `probe` (the service's base URL and the headers for its data-version probe), by the
        service's data version when the answer carries the one it was made from, else by its ETag.
        Callers asking for the same `cache_key` at once share one call (`NextCall`)."""
        if self._session is None:
            raise RuntimeError("UpstreamClient is used outside its `async with`.")
        kept = self.cache.get(cache_key) if cache_key is not None else None
        if kept is not None and kept.version is not None and probe is not None:
            base, probe_headers = probe
            at = f"{base}{VERSION_PATH}"
            try:
                now = await self.freshness.current(at, lambda: self._version(at, probe_headers()))
            except (TimeoutError, CallAbandoned):
                now = None  # the probe is a short cut: the call finds out properly
            if now == kept.version:
                return kept
        if cache_key is None:
            return await self._call(service, method, url, headers, json, None)
        try:
            return await self.calls.current(
                cache_key, lambda: self._call(service, method, url, headers, json, cache_key)
            )
        except ServiceUnavailable as exc:
            # One of its own for each caller: a shared one would carry one request's traceback to all.
            raise ServiceUnavailable(exc.service, answer=exc.answer, reached=exc.reached) from None
        except (TimeoutError, CallAbandoned):
            raise ServiceUnavailable(service) from None

    async def _call(
        self,
        service: str,
        method: str,
        url: str,
        headers: Mapping[str, str] | Callable[[], Mapping[str, str]],
        json: Any,
        cache_key: CacheKey | None,
    ) -> Answer:
        assert self._session is not None
        # The kept answer as it is when the call is sent: a call just before may have renewed it.
        kept = self.cache.get(cache_key) if cache_key is not None else None
        # Made now, not when the caller asked: a call that waited for the one before it still
        # carries a fresh identity token.
        headers = {**(headers() if callable(headers) else headers), "Accept-Encoding": "identity"}
        if kept is not None and kept.etag:
            headers["If-None-Match"] = kept.etag
        try:
            async with self._session.request(
                method, URL(url, encoded=True), headers=headers, json=json
            ) as response:
                status = response.status
                version = response.headers.get(VERSION_HEADER)
                if status == 304 and kept is not None:
                    if version != kept.version and cache_key is not None:
                        kept = replace(kept, version=version)
                        self.cache.put(cache_key, kept)
                    return kept
                body = await self._read_capped(response, service)
                etag = response.headers.get("ETag")
        except aiohttp.ClientConnectorError:
            raise ServiceUnavailable(service, reached=False) from None
        except (aiohttp.ClientError, TimeoutError):
            raise ServiceUnavailable(service) from None
        answer = Answer(status, body, etag, version if etag else None)
        if cache_key is not None:
            if status == 200 and etag:
                self.cache.put(cache_key, answer)
            else:
                self.cache.drop(cache_key)
        return answer

    async def _version(self, url: str, headers: dict[str, str]) -> str | None:
        """What the service's data-version probe says; None if it says nothing (or cannot be reached:
        the call that follows finds out properly)."""
        assert self._session is not None
        try:
            async with self._session.get(
                URL(url, encoded=True), headers=headers, timeout=PROBE_TIMEOUT
            ) as response:
                return response.headers.get(VERSION_HEADER) if response.status == 204 else None
        except Exception:  # noqa: BLE001 - whatever went wrong, the call that follows finds out properly
            return None

    async def _read_capped(self, response: aiohttp.ClientResponse, service: str) -> bytes:
        limit = self._max_response_bytes
        if response.headers.get("Content-Encoding", "identity").lower() != "identity":
            # Packed bytes are of no use to a page, and unpacking them is what the cap is for.
            raise ServiceUnavailable(service)
        declared = response.content_length
        if declared is not None and declared > limit:
            raise ServiceUnavailable(service)
        # Counted as read, declared length or not: a length can be wrong, the bytes cannot.
        body = bytearray()
        while chunk := await response.content.readany():
            body += chunk
            if len(body) > limit:
                raise ServiceUnavailable(service)
        return bytes(body)


def identity_of(user: SignedIn) -> Identity:
    return Identity(
        subject=str(user.user_id),
        roles=user.roles,
        organisation_id=user.organisation_id,
        pool_ids=user.pool_ids,
        name=user.name,
        # For the messages a service sends them later (volunteers: a request filled, a review back).
        email=user.email,
        language=current_locale(),
    )


class MintedIdentities:
    """Signed identities kept for half their lifetime, one per (exact identity, service, key).

    Signing is the dearest part of a call to a service, and a page makes several. The key is the whole
    identity as this request's session lookup found it, so a changed role, organisation or name gets a
    token of its own at once; a token is never handed out with less than half its lifetime left.
    """

    def __init__(self, ttl: int = DEFAULT_TTL_SECONDS, max_entries: int = 10_000) -> None:
        self._ttl = ttl
        self._max_entries = max_entries
        self._tokens: dict[tuple[Identity, str, int], tuple[OKPKey, str, float]] = {}

    def token(self, identity: Identity, *, key: OKPKey, audience: str) -> str:
        now = time.time()
        slot = (identity, audience, id(key))
        found = self._tokens.get(slot)
        # `found[0] is key`: the entry holds its key, so id(key) cannot be reused by another key meanwhile.
        if found is not None and found[0] is key and found[2] > now:
            return found[1]
        if len(self._tokens) >= self._max_entries:
            self._tokens = {k: v for k, v in self._tokens.items() if v[2] > now}
            if len(self._tokens) >= self._max_entries:
                self._tokens.clear()
        token = mint(identity, key=key, audience=audience, ttl=self._ttl)
        self._tokens[slot] = (key, token, now + self._ttl / 2)
        return token


MINTED = MintedIdentities()


def identity_headers(
    request: Request, user: SignedIn, service: str, identity: Identity | None = None
) -> dict[str, str]:
    """`identity`: `identity_of(user)` when the caller has made it already."""
    key = request.app.state.settings.signing_key
    if key is None:
        raise RuntimeError(
            "GATEWAY_IDENTITY_SIGNING_KEY is not set, so the gateway cannot sign identities for the "
            "services. `make run` makes a keypair under var/identity/; see deploy/env.example."
        )
    return {
        "Authorization": f"Bearer {MINTED.token(identity or identity_of(user), key=key, audience=service)}",
        REQUEST_ID_HEADER: current_request_id() or "",
    }


# The one identity the gateway speaks for every visitor with: the services need no subject for their
# public routes, and one per browser (from a cookie anybody can make up) would let a robot fill the
# signed identities and cached answers that staff's pages rely on.
VISITOR = Identity(subject="visitor", roles=(), name=None)


def visitor_headers(request: Request, service: str) -> dict[str, str]:
    key = request.app.state.settings.signing_key
    if key is None:
        raise RuntimeError(
            "GATEWAY_IDENTITY_SIGNING_KEY is not set, so the gateway cannot speak for visitors."
        )
    return {
        "Authorization": f"Bearer {MINTED.token(VISITOR, key=key, audience=service)}",
        REQUEST_ID_HEADER: current_request_id() or "",
    }


async def visitor_call(
    request: Request, service: str, method: str, path: str, *, json: Any = None, kept: bool = False
) -> Answer:
    """`service`'s public route as VISITOR; `ServiceUnavailable` on a 5xx. `kept`: a GET's answer is
    cached and revalidated (only where it is the same for every visitor, never one person's)."""
    answer: Answer = await request.app.state.upstream.request(
        service,
        method,
        f"{request.app.state.upstreams[service]}{path}",
        headers=lambda: {**visitor_headers(request, service), "Accept-Language": current_locale()},
        json=json,
        # By language too: the call says the visitor's, and a service may answer by it.
        cache_key=(replace(VISITOR, language=current_locale()), service, path)
        if kept and method == "GET"
        else None,
        probe=(request.app.state.upstreams[service], lambda: visitor_headers(request, service)),
    )
    if answer.status_code >= 500:
        raise ServiceUnavailable(service, answer=answer)
    return answer


class Services:
    """One person's way to the services during one request."""

    def __init__(self, request: Request, user: SignedIn) -> None:
        self._request = request
        self._user = user
        self._client: UpstreamClient = request.app.state.upstream
        self._upstreams: dict[str, str] = request.app.state.upstreams
        self._identity: Identity | None = None

    @property
    def identity(self) -> Identity:
        """The identity the services are told, made once per request (the language is this request's)."""
        if self._identity is None:
            self._identity = identity_of(self._user)
        return self._identity

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> Answer:
        target = with_query(path, params)
        identity = self.identity
        cache_key = (identity, service, target) if method == "GET" else None
        base = self._upstreams[service]
        answer = await self._client.request(
            service,
            method,
            f"{base}{target}",
            # The person's language: a service that knows it can say why it refused in that language.
            headers=lambda: {
                **identity_headers(self._request, self._user, service, identity),
                "Accept-Language": current_locale(),
            },
            json=json,
            cache_key=cache_key,
            # The probe speaks as VISITOR: the version is the same for everyone, so is the probe.
            probe=(base, lambda: visitor_headers(self._request, service)),
        )
        if method != "GET" and answer.status_code < 400:
            await record_change(self._request, self._user, service, method, path)
        return answer

    async def get_json(self, service: str, path: str, *, params: Mapping[str, Any] | None = None) -> Any:
        return (await self.get(service, path, params=params)).data()

    async def get(self, service: str, path: str, *, params: Mapping[str, Any] | None = None) -> Answer:
        """The answer itself (for `rendering.render_kept`); `ServiceUnavailable` on a 5xx."""
        answer = await self.call(service, "GET", path, params=params)
        if answer.status_code >= 500:
            raise ServiceUnavailable(service)
        return answer


def with_query(path: str, params: Mapping[str, Any] | None) -> str:
    """`path?query`, the values written as httpx wrote them (True as "true", None as empty, a list as
    the name repeated), so the services see the same URLs as before."""
    if not params:
        return path
    pairs: list[tuple[str, str]] = []
    for name, value in params.items():
        for one in value if isinstance(value, list | tuple) else (value,):
            pairs.append((name, _query_value(one)))
    return f"{path}?{urlencode(pairs)}"


def _query_value(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "" if value is None else str(value)


async def side_by_side(*calls: Awaitable[Any]) -> list[Any]:
    """Independent calls at the same time, answers in order; the first failure is raised as itself
    (a ServiceUnavailable reaches its page handler) and the calls still running are cancelled."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(_awaited(call)) for call in calls]
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None
    return [task.result() for task in tasks]


async def _awaited(call: Awaitable[Any]) -> Any:
    return await call


async def nothing() -> None:
    """For side_by_side, in the place of a call this person may not make (its answer is None)."""
    return None


async def record_change(request: Request, user: SignedIn, service: str, method: str, path: str) -> None:
    """Every change a person makes in a service through the gateway goes into the audit log."""
    async with request.app.state.runtime.pool.acquire() as conn:
        await audit.record(
            conn,
            action="changed_in_service",
            actor_id=user.user_id,
            actor_email=user.email,
            target=f"{method} /{service}{path}",
            ip=request.client.host if request.client else None,
        )


async def _services(request: Request, user: CurrentUser) -> Services:
    # async, so FastAPI runs it on the loop instead of handing it to a worker thread on every request
    return Services(request, user)


ServicesDep = Annotated[Services, Depends(_services)]


class Outcome:
    """What a changing call to a service came to: its answer, or a message for the person."""

    def __init__(self, response: Answer) -> None:
        self.status_code = response.status_code
        self.ok = response.status_code < 400
        self.data: Any = response.json() if self.ok and response.content else None
        self.message = "" if self.ok else problem_message(response.status_code, _reason(response))
        # A 422's reasons by the service's field name, so a form can show each beside its own field.
        self.invalid_fields = _invalid_fields(response) if response.status_code == 422 else {}


def _reason(response: Answer) -> str | None:
    """The service's own words for why it refused: the rule lives there, so its reason is shown."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return None
    if not isinstance(detail, str) or not detail.strip():
        return None
    return " ".join(detail.split())[:300]


def _invalid_fields(response: Answer) -> dict[str, str]:
    try:
        errors = response.json().get("errors")
    except (ValueError, AttributeError):
        return {}
    if not isinstance(errors, list):
        return {}
    return {
        str(e["field"]): " ".join(str(e["message"]).split())[:300]
        for e in errors or []
        if isinstance(e, dict) and "field" in e and "message" in e
    }


def problem_message(status_code: int, reason: str | None = None) -> str:
    from gateway.i18n import _

    general = _general_problem(status_code)
    if reason and 400 <= status_code < 500 and status_code != 401:
        return f"{general} " + _("Skälet: %(reason)s") % {"reason": reason}
    return general


def _general_problem(status_code: int) -> str:
    from gateway.i18n import _

    if status_code == 409 or status_code == 412:
        return _(
            "Någon annan har ändrat det här, eller så passar ändringen inte just nu. "
            "Ladda om sidan och försök igen."
        )
    if status_code == 403:
        return _("Din roll ger inte tillgång till det här.")
    if status_code == 404:
        return _("Det du försökte ändra finns inte längre.")
    if status_code == 422:
        return _("Några uppgifter är inte giltiga. Kontrollera och försök igen.")
    return _("Något gick fel hos oss. Försök igen om en stund.")


async def send(
    services: Services, method: str, path: str, body: Any = None, *, service: str = "meetings"
) -> Outcome:
    return Outcome(await services.call(service, method, path, json=body))
