"""A coordinator sees a volunteer only through a standing membership in one of their pools, and
only what belongs to those pools (review finding 1)."""

from __future__ import annotations

from .conftest import Client
from .world import ADMIN, COORDINATOR, a_pool, a_request, a_volunteer, token_of


async def test_a_former_member_is_invisible_to_the_coordinator(client: Client) -> None:
    mine, other = await a_pool(client), await a_pool(client)
    person = await a_volunteer(client, other, name="Dana som har slutat")
    await client.call(
        "PUT",
        f"/v1/volunteers/{person['id']}/pools/{mine['id']}",
        json={"status": "left"},
        as_=ADMIN,
        expect=200,
    )
    await client.call(
        "GET", f"/v1/volunteers/{person['id']}", as_=COORDINATOR, pools=(mine["key"],), expect=404
    )
    listed = await client.get("/v1/volunteers?limit=200", as_=COORDINATOR, pools=(mine["key"],))
    assert "Dana som har slutat" not in [v["name"] for v in listed["items"]]


async def test_a_member_of_two_pools_shows_only_the_coordinators_pool(client: Client) -> None:
    mine = await a_pool(
        client, requirements=[{"key": "intervjuteknik", "kind": "training", "label": "Intervju"}]
    )
    other = await a_pool(client)
    person = await a_volunteer(client, other, name="Eli i två pooler")
    await client.call(
        "PUT",
        f"/v1/volunteers/{person['id']}/pools/{mine['id']}",
        json={"status": "active"},
        as_=ADMIN,
        expect=200,
    )
    elsewhere = await a_request(client, other)
    token = await token_of(client, elsewhere["id"], person["id"])
    await client.call("POST", "/v1/links/offer", json={"token": token}, as_=(), expect=200)
    assert (await client.get(f"/v1/volunteers/{person['id']}", as_=ADMIN))["assignments"]
    seen = await client.get(f"/v1/volunteers/{person['id']}", as_=COORDINATOR, pools=(mine["key"],))
    assert [m["pool_id"] for m in seen["memberships"]] == [mine["id"]]
    # The record check belongs to the other pool's requirements only.
    assert [x["key"] for x in seen["qualifications"]] == ["intervjuteknik"]
    assert seen["assignments"] == []
    listed = await client.get("/v1/volunteers?limit=200", as_=COORDINATOR, pools=(mine["key"],))
    [row] = [v for v in listed["items"] if v["id"] == person["id"]]
    assert [m["pool_id"] for m in row["memberships"]] == [mine["id"]]


async def test_a_qualification_takes_its_kind_and_expiry_rule_from_the_pools_requirement(
    client: Client,
) -> None:
    """Finding 7: a record check entered as a 'training' without an end date met an expiring requirement."""
    pool = await a_pool(client)
    person = await a_volunteer(client, pool, consent=False)
    url = f"/v1/volunteers/{person['id']}/qualifications"
    body = {"key": "belastningsregister", "kind": "training", "completed_on": "2026-11-01"}
    refused = await client.call("POST", url, json=body, as_=ADMIN, expect=409)
    assert "går ut" in refused.json()["detail"]
    stored = await client.post(url, body | {"expires_on": "2027-11-01"}, as_=ADMIN)
    assert stored["kind"] == "certificate"


async def test_a_coordinator_records_only_what_their_own_pools_ask_for(client: Client) -> None:
    """A coordinator of one pool could record a certificate only another pool asks for on someone in
    both, and so make them eligible there without that pool's coordinator checking anything."""
    mine = await a_pool(
        client, requirements=[{"key": "intervjuteknik", "kind": "training", "label": "Intervju"}]
    )
    other = await a_pool(client)
    person = await a_volunteer(client, mine)
    url = f"/v1/volunteers/{person['id']}/qualifications"
    await client.call(
        "PUT", f"/v1/volunteers/{person['id']}/pools/{other['id']}", json={"status": "active"}, as_=ADMIN,
        expect=200,
    )
    body = {"key": "belastningsregister", "kind": "certificate", "completed_on": "2026-11-01",
            "expires_on": "2027-11-01"}
    refused = await client.call("POST", url, json=body, as_=COORDINATOR, pools=(mine["key"],), expect=403)
    assert "belastningsregister" in refused.json()["detail"]
    unknown = body | {"key": "pahittad"}
    await client.call("POST", url, json=unknown, as_=ADMIN, expect=403)
    seen = await client.get(f"/v1/volunteers/{person['id']}", as_=ADMIN)
    assert "belastningsregister" not in [x["key"] for x in seen["qualifications"]]
    # The pool's own coordinator, and an administrator, may record it.
    await client.post(url, body, as_=COORDINATOR, pools=(other["key"],))
    await client.post(url, body | {"completed_on": "2026-11-02"}, as_=ADMIN)
