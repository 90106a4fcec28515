"""Walks every route of the gateway: anonymous and wrong-role requests are refused on all but public ones."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from backbone.access import Capability, roles_with
from gateway import roles
from gateway.app import PUBLIC_PATHS, create_app
from gateway.auth import RoleCheck
from gateway.auth import signed_in as signed_in_dependency
from gateway.settings import Settings

from .conftest import LiveServer, browser, csrf_of


def _calls(route: APIRoute) -> list[Any]:
    """Every dependency a route runs, nested ones included."""
    stack: list[Any] = list(route.dependant.dependencies)
    calls = []
    while stack:
        dep = stack.pop()
        calls.append(dep.call)
        stack.extend(dep.dependencies)
    return calls


def _allowed_roles(route: APIRoute) -> tuple[str, ...] | None:
    """The roles a route lets through, from its RoleCheck dependency (None: any signed-in person)."""
    for call in _calls(route):
        if isinstance(call, RoleCheck):
            return call.roles
    return None


def _api_routes(settings: Settings) -> list[tuple[str, APIRoute]]:
    out = []
    for context in iter_route_contexts(create_app(settings).routes):
        if isinstance(context.original_route, APIRoute) and context.path:
            out.append((context.path, context.original_route))
    return out


def _routes(settings: Settings) -> list[tuple[str, str, tuple[str, ...] | None]]:
    found = []
    for full_path, route in _api_routes(settings):
        if full_path in PUBLIC_PATHS:
            continue
        path = re.sub(r"\{[^}:]+(:path)?\}", "00000000-0000-4000-8000-000000000000", full_path)
        for method in sorted(route.methods):
            found.append((method, path, _allowed_roles(route)))
    return found


def test_the_walk_sees_the_whole_route_table(settings: Settings) -> None:
    paths = {path for path, _ in _api_routes(settings)}
    assert {
        "/",
        "/meetings",
        "/admin/users",
        "/admin/audit",
        "/dev/mailbox",
        "/api/{service}/{path:path}",
    } <= paths


def test_every_route_that_is_not_public_asks_for_a_signed_in_person(settings: Settings) -> None:
    for full_path, route in _api_routes(settings):
        if full_path not in PUBLIC_PATHS:
            assert signed_in_dependency in _calls(route), full_path


def test_anonymous_requests_are_refused_on_every_route(gateway: LiveServer, settings: Settings) -> None:
    client = browser(gateway)
    token = csrf_of(client.get("/sign-in").text)
    for method, path, _roles in _routes(settings):
        response = client.request(method, path, headers={"X-CSRF-Token": token})
        if path.startswith("/api/"):
            assert response.status_code == 401, (method, path)
        else:
            assert response.status_code == 303, (method, path, response.status_code)
            assert response.headers["location"].startswith("/sign-in"), (method, path)


@pytest.mark.parametrize("role", roles.ALL)
def test_wrong_role_requests_are_refused_on_every_route(
    role: str, settings: Settings, signed_in: Callable[..., httpx.Client]
) -> None:
    client = signed_in(role, organisation="bryggan" if role == roles.ORG_REPRESENTATIVE else None)
    token = csrf_of(client.get("/account").text)
    checked = 0
    for method, path, allowed in _routes(settings):
        if allowed is None or role in allowed:
            continue
        response = client.request(method, path, headers={"X-CSRF-Token": token})
        assert response.status_code == 403, (role, method, path, response.status_code)
        checked += 1
    if role != roles.ADMINISTRATOR:
        assert checked > 0


@pytest.mark.parametrize("role", roles.ALL)
def test_the_proxy_forwards_only_to_roles_that_may_open_the_services_pages(
    role: str, signed_in: Callable[..., httpx.Client]
) -> None:
    client = signed_in(role, organisation="bryggan" if role == roles.ORG_REPRESENTATIVE else None)
    answer = client.get("/api/meetings/v1/people")
    if role in roles.READ_MEETINGS:
        assert answer.status_code == 200, (role, answer.status_code)
    else:
        assert answer.status_code == 403, f"{role} reads the meetings service through the proxy"


def test_the_gateway_and_the_meetings_service_read_one_table_of_who_may_read() -> None:
    readers = roles_with(Capability.READ_MEETINGS)
    assert tuple(r for r in readers if r in roles.ALL) == roles.READ_MEETINGS
    assert roles.POOL_COORDINATOR not in roles.READ_MEETINGS
    assert roles.PROXIED_SERVICES["meetings"] == roles.READ_MEETINGS


def test_long_lists_are_paged_and_the_filters_kept(
    signed_in: Callable[..., httpx.Client], make_user: Callable[..., str]
) -> None:
    admin = signed_in("administrator")
    for _ in range(26):
        make_user("pool_coordinator")
    first = admin.get("/admin/users", params={"role": "pool_coordinator"})
    assert "Nästa sida" in first.text
    assert "role=pool_coordinator&amp;offset=25" in first.text
    second = admin.get("/admin/users", params={"role": "pool_coordinator", "offset": 25})
    assert "Föregående sida" in second.text
