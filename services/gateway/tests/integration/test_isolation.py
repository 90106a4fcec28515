"""Organisation isolation through the gateway, on the real meetings service and real PostgreSQL.

A representative of one organisation walks every GET page of the gateway and, through the proxy,
every GET route of the meetings API (both from their route tables, so routes added later are
walked too); nothing of another organisation's people may show but the names the published
minutes record.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from gateway import roles
from gateway.app import PUBLIC_PATHS, create_app
from gateway.pages import events as event_pages
from gateway.pages import webhooks as webhook_pages
from gateway.settings import Settings
from services.meetings.tests.integration.isolation_world import World, seed_world

from .conftest import LiveServer, MeetingsStaff, run, signed_in_as


@pytest.fixture(scope="module")
def world(meetings_staff: MeetingsStaff) -> World:
    async def send(method: str, path: str, body: Any, expect: int) -> Any:
        return meetings_staff.send(method, path, body, expect=expect)

    world = run(seed_world(send))
    # Path parameters of the gateway's own pages; no such user or key exists.
    world.ids |= {"user_id": [str(uuid.uuid4())], "key": ["nothing"]}
    # The email template previews (sample data only, administrators only).
    world.ids |= {"name": ["offer_made"]}
    # One email of notify's delivery log; staff only, so a representative is refused before notify
    # is asked (this world runs no notify).
    world.ids |= {"email_id": [str(uuid.uuid4())]}
    # The volunteers pages: a representative is refused them by role before the volunteers service
    # (which this world does not run) is asked, so unknown ids are enough.
    world.ids |= {n: [str(uuid.uuid4())] for n in ("pool_id", "volunteer_id", "request_id", "review_id")}
    return world


# The staff's events pages read the events service, which this meetings world does not run; their
# isolation is walked in test_pages_on_events. Exactly those routes: a page added beside them is walked.
EVENTS_PAGES = frozenset(route.path for route in event_pages.router.routes if isinstance(route, APIRoute))
# The webhook pages read notify, not meetings; their isolation between organisations is walked in
# test_pages_on_webhooks.py on a real notify.
WEBHOOK_PAGES = frozenset(route.path for route in webhook_pages.router.routes if isinstance(route, APIRoute))


def walked(path: str) -> bool:
    return (
        path not in PUBLIC_PATHS
        and not path.startswith("/api/")
        and path not in EVENTS_PAGES
        and path not in WEBHOOK_PAGES
    )


def test_the_walk_skips_only_the_events_pages_walked_elsewhere() -> None:
    assert not walked("/events") and not walked("/events/{event_id}/edit")
    assert walked("/events-export") and walked("/eventsfeed/{key}")


def page_routes(settings: Settings) -> list[str]:
    out = []
    for context in iter_route_contexts(create_app(settings).routes):
        route = context.original_route
        if isinstance(route, APIRoute) and "GET" in route.methods and walked(context.path):
            out.append(context.path)
    return out


def meetings_get_routes(app: Any) -> list[str]:
    paths = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and "GET" in route.methods and context.path.startswith("/v1"):
            paths.append(context.path)
    return paths


def filled(path: str, world: World) -> list[str]:
    names = re.findall(r"\{([^}:]+)(?::path)?\}", path)
    missing = [n for n in names if n not in world.ids]
    assert not missing, f"the walk has no ids for {missing} of {path}: seed some"
    paths = [path]
    for name in names:
        paths = [re.sub(r"\{" + name + r"(:path)?\}", v, p) for p in paths for v in world.ids[name]]
    return paths


QUERY = {"q": "klarspråk", "text": "klarspråk"}


def test_a_representative_sees_nothing_of_another_organisations_people_on_any_page(
    gateway_on_meetings: LiveServer, real_settings: Settings, world: World, meetings_app: Any
) -> None:
    client = signed_in_as(
        gateway_on_meetings, real_settings, roles.ORG_REPRESENTATIVE, organisation=world.org_a
    )
    urls = [u for p in page_routes(real_settings) for u in filled(p, world)]
    urls += [f"/api/meetings{u}" for p in meetings_get_routes(meetings_app) for u in filled(p, world)]
    walked = 0
    for url in urls:
        for params in ({}, {**QUERY, "group_id": world.ids["group_id"][0], "organisation_id": world.org_b}):
            response = client.get(url, params=params)
            assert response.status_code < 500, (url, response.status_code)
            for secret in world.secrets_b:
                assert secret not in response.text, (
                    f"GET {url} {params} shows {secret!r} of another organisation"
                )
            if world.recorded_name_b in response.text:
                assert "minutes" in url, f"GET {url} names a person of another organisation"
            walked += 1
    assert walked > 60
    own = client.get(f"/organisations/{world.org_a}")
    assert world.email_a in own.text, "the representative does see its own organisation's people"


def test_a_pool_coordinator_reads_no_meetings_data_through_the_proxy(
    gateway_on_meetings: LiveServer, real_settings: Settings, world: World, meetings_app: Any
) -> None:
    client = signed_in_as(gateway_on_meetings, real_settings, roles.POOL_COORDINATOR)
    for path in meetings_get_routes(meetings_app):
        url = f"/api/meetings{filled(path, world)[0]}"
        response = client.get(url, params=QUERY)
        assert response.status_code == 403, f"a pool coordinator could read GET {url}"
        assert "@" not in response.text
