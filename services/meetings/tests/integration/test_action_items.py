"""Action items: assignment, changes, and the periodic due check that announces each item once."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx

from backbone.db import create_pool
from backbone.testing import eventually
from meetings import action_items
from meetings.app import create_app


async def a_meeting(client: Any) -> dict[str, Any]:
    return await client.post(
        "/v1/meetings",
        {
            "title": "Gemensam utvecklingsgrupp",
            "starts_at": "2026-01-05T13:30:00+01:00",
            "ends_at": "2026-01-05T15:30:00+01:00",
        },
    )


async def test_due_soon_and_overdue_are_announced_once(client: Any) -> None:
    meeting = await a_meeting(client)
    owner = await client.post("/v1/people", {"name": "Martina", "email": "martina@example.se"})
    today = date(2026, 5, 10)
    url = f"/v1/meetings/{meeting['id']}/action-items"
    late = await client.post(
        url, {"text": "Kolla upp detta", "owner_person_id": owner["id"], "due_date": "2026-05-08"}
    )
    soon = await client.post(
        url, {"text": "Skicka inbjudan", "owner_person_id": owner["id"], "due_date": "2026-05-12"}
    )
    await client.post(url, {"text": "Långt fram", "due_date": "2026-06-30"})
    await client.post(url, {"text": "Utan datum"})
    assert late["owner_name"] == "Martina"

    pool = await create_pool(client.dsn, min_size=1, max_size=1)
    async with pool.acquire() as conn:
        first = await action_items.check_due(conn=conn, today=today)
        again = await action_items.check_due(conn=conn, today=today)
        assert first == {"overdue": 1, "due_soon": 1} and again == {"overdue": 0, "due_soon": 0}
        # The item due soon becomes overdue later: announced once more, as overdue.
        later = await action_items.check_due(conn=conn, today=today + timedelta(days=3))
        assert later == {"overdue": 1, "due_soon": 0}

    overdue = await client.events("meetings.action_item.overdue.v1")
    assert [e["action_item_id"] for e in overdue] == [late["id"], soon["id"]]
    assert overdue[0]["owner_email"] == "martina@example.se"
    due_soon = await client.events("meetings.action_item.due_soon.v1")
    assert [e["action_item_id"] for e in due_soon] == [soon["id"]]

    # Moving the due date makes the item eligible for a new reminder; closed items never are.
    moved = await client.put(
        f"/v1/action-items/{late['id']}",
        {
            "version": late["version"],
            "text": late["text"],
            "owner_person_id": owner["id"],
            "due_date": "2026-05-20",
        },
    )
    assert moved["due_date"] == "2026-05-20"
    await client.post(
        f"/v1/action-items/{soon['id']}/close", {"version": soon["version"], "status": "dropped"}, expect=200
    )
    async with pool.acquire() as conn:
        assert await action_items.check_due(conn=conn, today=date(2026, 5, 18)) == {
            "overdue": 0,
            "due_soon": 1,
        }
    await pool.close()
    open_items = await client.get("/v1/action-items?status=open")
    assert [i["text"] for i in open_items["items"]] == ["Kolla upp detta", "Långt fram", "Utan datum"]


async def test_the_worker_runs_the_due_check_by_itself(settings_factory: Any, signing_key: Any) -> None:
    settings = settings_factory()
    settings.due_check_seconds = 0.2
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        from backbone.identity import Identity, bearer_headers

        staff = Identity(subject="t", roles=("staff",))
        headers = bearer_headers(staff, key=signing_key, audience="meetings")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://m") as http:
            meeting = (
                await http.post(
                    "/v1/meetings",
                    headers=headers,
                    json={
                        "title": "M",
                        "starts_at": "2026-01-05T13:30:00+01:00",
                        "ends_at": "2026-01-05T15:30:00+01:00",
                    },
                )
            ).json()
            yesterday = (date.today() - timedelta(days=2)).isoformat()
            created = await http.post(
                f"/v1/meetings/{meeting['id']}/action-items",
                headers=headers,
                json={"text": "Försenad", "due_date": yesterday},
            )
            assert created.status_code == 201

        async def announced() -> int:
            conn = await asyncpg.connect(settings.database_url)
            try:
                return int(
                    await conn.fetchval(
                        "SELECT count(*) FROM outbox WHERE subject = 'meetings.action_item.overdue.v1'"
                    )
                )
            finally:
                await conn.close()

        await eventually(announced, "the worker announcing the overdue item", timeout=10, interval=0.1)
        await asyncio.sleep(0.6)  # a few more rounds of the worker must not announce it again
        assert await announced() == 1
