"""The demo pools and volunteers (volunteers.demo) go through the API as the devstack sends them."""

from __future__ import annotations

from datetime import UTC, datetime

from volunteers.demo import demo_pools, demo_profile, demo_request, demo_volunteers

from .conftest import Client

SYSTEM = ("system",)


async def test_the_demo_data_is_accepted_and_the_request_ranks_with_reasons(client: Client) -> None:
    today = datetime.now(UTC).date()
    pool_ids = {}
    for body in demo_pools():
        pool_ids[body["key"]] = (await client.post("/v1/pools", body, as_=SYSTEM))["id"]
    assert len(pool_ids) == 5
    for body in demo_volunteers(pool_ids):
        person = await client.post("/v1/volunteers", body, as_=SYSTEM)
        profile = demo_profile(body["name"], today)
        await client.call(
            "PUT", f"/v1/volunteers/{person['id']}/weekly", json=profile["weekly"], as_=SYSTEM, expect=200
        )
        for qualification in profile["qualifications"]:
            await client.post(f"/v1/volunteers/{person['id']}/qualifications", qualification, as_=SYSTEM)
        await client.post(f"/v1/volunteers/{person['id']}/consents", profile["consent"], as_=SYSTEM)
    request = await client.post(
        "/v1/requests", demo_request(today, client.settings.zone, pool_ids), as_=SYSTEM
    )
    seen = await client.get(f"/v1/requests/{request['id']}/candidates", as_=SYSTEM)
    assert sorted(r["name"] for r in seen["ranked"]) == ["Amina Yusuf", "Greta Lind"]
    assert {e["name"]: e["reasons"] for e in seen["excluded"]} == {
        "Bengt Åberg": ["Är själv klient på enheten Kronans boende (jäv)."]
    }
    pools = (await client.get("/v1/pools", as_=("staff",)))["items"]
    assert {p["key"]: p["members"].get("active", 0) for p in pools}["klarsprak"] == 3
