"""The composite reads for the start page and the meeting page answer what the separate routes
answer, part for part, for staff and for a representative alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from .test_isolation import get_routes, seed


async def _next_meeting(client: Any) -> dict[str, Any]:
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    return await client.post(
        "/v1/meetings",
        {
            "title": "Nästa möte",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=1)).isoformat(),
            "invitees": [{"name": "Ada", "email": "ada@example.org"}],
        },
    )


async def test_the_start_overview_is_the_three_lists_of_the_start_page(client: Any) -> None:
    world = await seed(client)
    upcoming = await _next_meeting(client)
    for who in ({}, {"as_": ("org_representative",), "org": world.org_a}):
        overview = await client.get("/v1/overview", **who)
        start = upcoming["starts_at"][:16]
        meetings = await client.get("/v1/meetings", params={"from": start, "limit": 5}, **who)
        items = await client.get("/v1/action-items", params={"status": "open", "limit": 50}, **who)
        minutes = await client.get("/v1/minutes", params={"status": "published", "limit": 5}, **who)
        assert overview["next_meetings"]["items"][0]["id"] == upcoming["id"]
        assert overview["next_meetings"]["items"] == meetings["items"]
        assert overview["open_action_items"] == items
        assert overview["published_minutes"] == minutes
    rep = await client.get("/v1/overview", as_=("org_representative",), org=world.org_a)
    assert [i["text"] for i in rep["open_action_items"]["items"]] == ["Skriva inbjudan"]


async def test_the_meeting_overview_is_the_five_parts_of_the_meeting_page(client: Any) -> None:
    world = await seed(client)
    first, second, _later = world.ids["meeting_id"]
    rep = {"as_": ("org_representative",), "org": world.org_a}
    for meeting_id in (first, second):
        for who in ({}, rep):
            overview = await client.get(f"/v1/meetings/{meeting_id}/overview", **who)
            assert overview["meeting"] == await client.get(f"/v1/meetings/{meeting_id}", **who)
            assert overview["agenda"] == await client.get(f"/v1/meetings/{meeting_id}/agenda", **who)
            assert overview["roll_call"] == await client.get(f"/v1/meetings/{meeting_id}/roll-call", **who)
            assert overview["action_items"] == await client.get(
                "/v1/action-items", params={"meeting_id": meeting_id}, **who
            )
            minutes = await client.call("GET", f"/v1/meetings/{meeting_id}/minutes", **who)
            assert overview["minutes"] == (minutes.json() if minutes.status_code == 200 else None)
    # The second meeting's minutes are a draft: staff see it, a representative sees none.
    assert (await client.get(f"/v1/meetings/{second}/overview"))["minutes"]["status"] == "draft"
    assert (await client.get(f"/v1/meetings/{second}/overview", **rep))["minutes"] is None


async def test_the_overview_of_a_meeting_that_does_not_exist_is_404(client: Any) -> None:
    response = await client.call("GET", "/v1/meetings/00000000-0000-0000-0000-000000000000/overview")
    assert response.status_code == 404


async def test_the_isolation_walk_reads_both_overviews(client: Any) -> None:
    walked = {r.path for r in get_routes(client.app)}
    assert {"/v1/overview", "/v1/meetings/{meeting_id}/overview"} <= walked
