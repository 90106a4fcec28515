"""Every /v1 route refuses a request without identity, and wrong roles cannot write."""

from __future__ import annotations

import inspect
import re
import uuid
from typing import Any

from fastapi.routing import APIRoute

# Writes an organisation representative may make (limited to its own organisation inside).
REPRESENTATIVE_WRITES = {
    ("POST", "/v1/people"),
    ("PATCH", "/v1/people/{person_id}"),
    ("PUT", "/v1/groups/{group_id}/members/{person_id}"),
    ("DELETE", "/v1/groups/{group_id}/members/{person_id}"),
    ("PUT", "/v1/meetings/{meeting_id}/attendance/{person_id}"),
    ("PUT", "/v1/meetings/{meeting_id}/attendance"),
}
# Reads kept for staff: imported raw texts.
STAFF_READS = {"/v1/imports", "/v1/imports/{import_id}"}


def api_routes(routes: list[Any]) -> list[APIRoute]:
    """The app's routes, also inside included routers (newer FastAPI keeps those as one entry each)."""
    out: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            out.append(route)
        elif hasattr(route, "original_router"):
            out += api_routes(route.original_router.routes)
    return out


def v1_routes(app: Any) -> list[tuple[str, str]]:
    found = [
        (m, r.path) for r in api_routes(app.routes) if r.path.startswith("/v1") for m in sorted(r.methods)
    ]
    # Nothing hides from the walk: the same operations as the OpenAPI document.
    documented = {
        (m.upper(), p) for p, ops in app.openapi()["paths"].items() if p.startswith("/v1") for m in ops
    }
    assert set(found) == documented
    return found


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda _m: str(uuid.uuid4()), path)


async def test_the_route_table_is_what_we_expect(client: Any) -> None:
    routes = v1_routes(client.app)
    assert len(routes) >= 40
    assert ("GET", "/v1/search") in routes and ("POST", "/v1/imports") in routes


async def test_every_v1_route_refuses_a_request_without_identity(client: Any) -> None:
    for method, path in v1_routes(client.app):
        response = await client.http.request(method, concrete(path), json={})
        assert response.status_code == 401, (
            f"{method} {path} answered {response.status_code} without identity"
        )
        bad = await client.http.request(
            method, concrete(path), json={}, headers={"Authorization": "Bearer x.y.z"}
        )
        assert bad.status_code == 401, f"{method} {path} accepted a forged identity"


async def test_wrong_roles_get_403(client: Any) -> None:
    org = uuid.uuid4()
    for method, path in v1_routes(client.app):
        url = concrete(path)
        if method != "GET":
            coordinator = await client.call(method, url, as_=("pool_coordinator",), json={})
            assert coordinator.status_code == 403, f"pool coordinator could {method} {path}"
            if (method, path) not in REPRESENTATIVE_WRITES:
                rep = await client.call(method, url, as_=("org_representative",), org=org, json={})
                assert rep.status_code == 403, f"representative could {method} {path}"
        else:
            # Pool coordinators read nothing here, as the gateway's pages show them nothing.
            coordinator = await client.call(method, url, as_=("pool_coordinator",))
            assert coordinator.status_code == 403, f"pool coordinator could read {path}"
            if path in STAFF_READS:
                rep = await client.call(method, url, as_=("org_representative",), org=org)
                assert rep.status_code == 403, f"representative could read {path}"
        # An identity with no role at all may do nothing.
        nobody = await client.call(method, url, as_=("unknown-role",), json={} if method != "GET" else None)
        assert nobody.status_code == 403, f"{method} {path} let an identity without roles through"


async def test_a_representative_without_an_organisation_is_refused(client: Any) -> None:
    response = await client.call("GET", "/v1/people", as_=("org_representative",))
    assert response.status_code == 403 and "organisation" in response.json()["detail"]


def _dependencies(dependant: Any) -> list[Any]:
    found = []
    for sub in dependant.dependencies:
        found += [sub, *_dependencies(sub)]
    return found


async def test_no_route_runs_a_dependency_in_a_worker_thread(client: Any) -> None:
    # FastAPI runs a plain `def` dependency in a worker thread: a thread hop on every request.
    for route in api_routes(client.app.routes):
        for dep in _dependencies(route.dependant):
            assert dep.call is None or inspect.iscoroutinefunction(dep.call) or inspect.isasyncgenfunction(
                dep.call
            ), f"{route.path} runs {dep.call.__qualname__} in a worker thread; make it async"
