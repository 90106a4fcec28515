"""Ids from addresses and forms go into the services' URLs only when they are UUIDs.

Anything else could change the service path the gateway calls (`..`, `?`, `#` after decoding),
so the page refuses it before it calls anything.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
from fastapi.routing import APIRoute, iter_route_contexts

from gateway.app import PUBLIC_PATHS, create_app
from gateway.settings import Settings

from .conftest import csrf_of

ID = "00000000-0000-4000-8000-000000000000"
# Decoded by the router into `..?status=x`: one path segment, which pasted into a service's URL
# would climb a level and add a query.
BAD = "..%3Fstatus%3Dx"
# Path parameters that never reach a service's URL.
LOCAL = {"key", "path"}


def pages_with_ids(settings: Settings) -> list[tuple[str, str, list[str]]]:
    found = []
    for context in iter_route_contexts(create_app(settings).routes):
        route = context.original_route
        if (
            not isinstance(route, APIRoute)
            or context.path in PUBLIC_PATHS
            or context.path.startswith("/api/")
        ):
            continue
        names = [n for n in re.findall(r"\{([^}:]+)", context.path) if n not in LOCAL]
        if names:
            for method in sorted(route.methods):
                found.append((method, context.path, names))
    return found


def test_every_page_refuses_an_id_in_its_address_that_is_not_a_uuid(
    settings: Settings, signed_in: Callable[..., httpx.Client]
) -> None:
    client = signed_in("administrator")
    token = csrf_of(client.get("/account").text)
    pages = pages_with_ids(settings)
    assert len(pages) > 10
    for method, path, names in pages:
        for bad in names:
            url = path
            for name in names:
                url = re.sub(r"\{" + name + r"(:path)?\}", BAD if name == bad else ID, url)
            response = client.request(method, url, data={"csrf_token": token})
            assert response.status_code == 422, (method, path, bad, response.status_code)
            assert "Adressen är inte giltig" in response.text


def test_ids_from_forms_that_are_not_uuids_are_refused(signed_in: Callable[..., httpx.Client]) -> None:
    client = signed_in("staff")
    token = csrf_of(client.get("/account").text)
    bad = f"{ID}/../../imports"
    for url, form in (
        (f"/meetings/{ID}/minutes/step", {"minutes_id": bad, "revision": "1", "step": "submit"}),
        (f"/meetings/{ID}/minutes/correct", {"minutes_id": bad, "note": "En rättelse"}),
        (f"/meetings/{ID}/minutes/save", {"minutes_id": bad, "revision": "1", "title": "Protokoll"}),
        (f"/groups/{ID}/members", {"person_id": bad, "role": "member"}),
    ):
        response = client.post(url, data={**form, "csrf_token": token})
        assert response.status_code == 422, (url, response.status_code)
