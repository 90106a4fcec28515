"""Calls to the services on behalf of the signed-in person, with an identity minted for that service."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
from fastapi import Depends, Request

from backbone.correlation import REQUEST_ID_HEADER, current_request_id
from backbone.identity import Identity, mint
from gateway import audit
from gateway.auth import CurrentUser
from gateway.sessions import SignedIn


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


def identity_headers(request: Request, user: SignedIn, service: str) -> dict[str, str]:
    key = request.app.state.settings.gateway_signing_key
    return {
        "Authorization": f"Bearer {mint(identity_of(user), key=key, audience=service)}",
        REQUEST_ID_HEADER: current_request_id() or "",
    }


class Services:
    """One person's way to the services during one request."""

    def __init__(self, request: Request, user: SignedIn) -> None:
        self._request = request
        self._user = user
        self._client: httpx.AsyncClient = request.app.state.http
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


def _services(request: Request, user: CurrentUser) -> Services:
    return Services(request, user)


ServicesDep = Annotated[Services, Depends(_services)]


class Outcome:
    """What a changing call to a service came to: its answer, or a message for the person."""

    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.ok = response.status_code < 400
        self.data: Any = response.json() if self.ok and response.content else None
        self.message = "" if self.ok else problem_message(response.status_code)


def problem_message(status_code: int) -> str:
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
