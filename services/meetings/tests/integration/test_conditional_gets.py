"""Conditional GETs in meetings: every table a GET reads is tracked, so a write by anyone changes
every ETag, and a tag is never good for another identity."""

from __future__ import annotations

from typing import Any

import asyncpg

from backbone.conditional import untracked_tables

from .test_isolation import seed


async def test_every_table_of_the_service_raises_the_data_version(client: Any) -> None:
    conn = await asyncpg.connect(client.dsn)
    try:
        assert await untracked_tables(conn) == [], "track them in a migration: backbone_track_data_version"
    finally:
        await conn.close()


async def test_a_write_by_anyone_changes_what_everyone_is_answered(client: Any) -> None:
    world = await seed(client)
    first = world.ids["meeting_id"][0]
    rep = {"as_": ("org_representative",), "org": world.org_a}
    headers = {
        "staff": client.headers("staff"),
        "rep": client.headers("org_representative", organisation_id=world.org_a),
    }
    url = f"/v1/meetings/{first}/overview"
    tags: dict[str, str] = {}
    for who, h in headers.items():
        answer = await client.http.get(url, headers=h)
        assert answer.status_code == 200
        tags[who] = answer.headers["ETag"]
        again = await client.http.get(url, headers={**h, "If-None-Match": tags[who]})
        assert again.status_code == 304 and again.content == b""
    # The representative records attendance: staff's page changes too.
    await client.put(f"/v1/meetings/{first}/attendance/{world.person_a}", {"status": "excused"}, **rep)
    for who, h in headers.items():
        answer = await client.http.get(url, headers={**h, "If-None-Match": tags[who]})
        assert answer.status_code == 200, f"{who} was told nothing changed"
        tags[who] = answer.headers["ETag"]
    # Staff change something the page does not even show: still a new tag, never a stale 304.
    await client.post("/v1/organisations", {"name": "Gamma"})
    for who, h in headers.items():
        assert (await client.http.get(url, headers={**h, "If-None-Match": tags[who]})).status_code == 200


async def test_a_tag_is_good_only_for_the_identity_it_was_made_for(client: Any) -> None:
    world = await seed(client)
    staff = await client.http.get("/v1/overview", headers=client.headers("staff"))
    other_staff = client.headers("staff")  # another subject, same role
    rep = client.headers("org_representative", organisation_id=world.org_a)
    for h in (other_staff, rep):
        answer = await client.http.get("/v1/overview", headers={**h, "If-None-Match": staff.headers["ETag"]})
        assert answer.status_code == 200 and answer.headers["ETag"] != staff.headers["ETag"]


async def test_the_minutes_keep_their_own_etag_for_if_match(client: Any) -> None:
    world = await seed(client)
    minutes_id = world.ids["minutes_id"][1]
    answer = await client.call("GET", f"/v1/minutes/{minutes_id}", expect=200)
    assert answer.headers["ETag"] == f'"{minutes_id}.{answer.json()["revision"]}"'
