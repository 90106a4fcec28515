"""Calls to the services on behalf of the signed-in person, with an identity minted for that service."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable
from typing import Annotated, Any

import httpx
from fastapi import Depends, Request
from joserfc.jwk import OKPKey

from backbone.correlation import REQUEST_ID_HEADER, current_request_id
from backbone.identity import DEFAULT_TTL_SECONDS, Identity, mint
from gateway import audit
from gateway.auth import CurrentUser
from gateway.sessions import SignedIn


class UpstreamClients:
    """Small httpx clients taken in turn, one per page request, instead of one client with a big pool.

    httpcore's pool looks at every one of its connections for every request and every answer (a socket
    poll each, and a count of the idle ones inside that loop), so its cost grows with the square of the
    pool: at 32 pages at once, most of the gateway's time went there (bench/README.md). Eight clients of
    eight connections each keep every connection alive (httpx's default keeps 20 of 100 and closes the
    rest after each answer) at a fraction of that cost.
    """

    def __init__(self, *, clients: int = 8, connections: int = 8, timeout: float = 30.0) -> None:
        # Idle connections are let go before uvicorn's own 5 s keep-alive ends them from the other side,
        # or a call could go out on a connection the service is closing (and the page would answer 502).
        limits = httpx.Limits(
            max_connections=connections, max_keepalive_connections=connections, keepalive_expiry=4.0
        )
        self._clients = [httpx.AsyncClient(timeout=timeout, limits=limits) for _ in range(clients)]
        self._turn = itertools.cycle(self._clients)

    def take(self) -> httpx.AsyncClient:
        return next(self._turn)

    async def __aenter__(self) -> UpstreamClients:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        for client in self._clients:
            await client.aclose()


class ServiceUnavailable(Exception):
    def __init__(self, service: str) -> None:
        super().__init__(service)
        self.service = service


def identity_of(user: SignedIn) -> Identity:
    return Identity(
        subject=str(user.user_id),
        roles=user.roles,
        organisation_id=user.organisation_id,
        pool_ids=user.pool_ids,
        name=user.name,
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


def identity_headers(request: Request, user: SignedIn, service: str) -> dict[str, str]:
    key = request.app.state.settings.signing_key
    if key is None:
        raise RuntimeError(
            "GATEWAY_IDENTITY_SIGNING_KEY is not set, so the gateway cannot sign identities for the "
            "services. `make run` makes a keypair under var/identity/; see deploy/env.example."
        )
    return {
        "Authorization": f"Bearer {MINTED.token(identity_of(user), key=key, audience=service)}",
        REQUEST_ID_HEADER: current_request_id() or "",
    }


class Services:
    """One person's way to the services during one request."""

    def __init__(self, request: Request, user: SignedIn) -> None:
        self._request = request
        self._user = user
        self._client: httpx.AsyncClient = request.app.state.upstream_clients.take()
        self._upstreams: dict[str, str] = request.app.state.upstreams

    async def call(self, service: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._client.request(
                method,
                f"{self._upstreams[service]}{path}",
                headers=identity_headers(self._request, self._user, service),
                **kwargs,
            )
        except httpx.HTTPError:
            raise ServiceUnavailable(service) from None
        if method != "GET" and response.status_code < 400:
            await record_change(self._request, self._user, service, method, path)
        return response

    async def get_json(self, service: str, path: str, **kwargs: Any) -> Any:
        response = await self.call(service, "GET", path, **kwargs)
        if response.status_code >= 500:
            raise ServiceUnavailable(service)
        return response.json() if response.status_code < 400 else None


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

    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.ok = response.status_code < 400
        self.data: Any = response.json() if self.ok and response.content else None
        self.message = "" if self.ok else problem_message(response.status_code, _reason(response))


def _reason(response: httpx.Response) -> str | None:
    """The service's own words for why it refused: the rule lives there, so its reason is shown."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return None
    if not isinstance(detail, str) or not detail.strip():
        return None
    return " ".join(detail.split())[:300]


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


async def send(services: Services, method: str, path: str, body: Any = None) -> Outcome:
    return Outcome(await services.call("meetings", method, path, json=body))
