"""Full-text search over published minutes with Swedish stemming, ranking, snippets and filters."""

from __future__ import annotations

import uuid
from typing import Any


async def publish(client: Any, *, group_id: str, day: str, heading: str, text: str) -> dict[str, Any]:
    meeting = await client.post(
        "/v1/meetings",
        {
            "title": "Gemensam utvecklingsgrupp",
            "group_id": group_id,
            "starts_at": f"{day}T13:30:00+01:00",
            "ends_at": f"{day}T15:30:00+01:00",
        },
    )
    minutes = await client.post(
        f"/v1/meetings/{meeting['id']}/minutes", {"sections": [{"heading": heading, "text": text}]}
    )
    for action in ("submit", "approve", "publish"):
        minutes = await client.post(
            f"/v1/minutes/{minutes['id']}/{action}", {"revision": minutes["revision"]}, expect=200
        )
    return minutes


async def test_mote_finds_motet_and_motena_ranked_with_highlights(client: Any) -> None:
    group = await client.post(
        "/v1/groups", {"name": f"Grupp {uuid.uuid4().hex[:6]}", "kind": "joint_development"}
    )
    other = await client.post(
        "/v1/groups", {"name": f"Annan {uuid.uuid4().hex[:6]}", "kind": "working_group"}
    )
    gid = group["id"]
    a = await publish(
        client,
        group_id=gid,
        day="2016-02-22",
        heading="Fritidsbank",
        text="Vi har redan bokat in ett nytt mötet den 22 mars. Mötet blir på Bryggan.",
    )
    b = await publish(
        client,
        group_id=gid,
        day="2016-03-07",
        heading="Klarspråk",
        text="Gruppen ska ha ett uppstartsmöte inom kort. Alla mötena hålls hemifrån.",
    )
    c = await publish(
        client,
        group_id=other["id"],
        day="2016-04-04",
        heading="Sysselsättning",
        text="Inget om det här ordet, bara sysselsättning & arbete <b>.",
    )
    # A draft is never found.
    meeting = await client.post(
        "/v1/meetings",
        {
            "title": "Utkast",
            "group_id": gid,
            "starts_at": "2016-05-02T13:30:00+02:00",
            "ends_at": "2016-05-02T15:30:00+02:00",
        },
    )
    await client.post(
        f"/v1/meetings/{meeting['id']}/minutes",
        {"sections": [{"heading": "Möte", "text": "mötet mötena möte"}]},
    )

    hits = await client.get("/v1/search?q=möte")
    found = [h["minutes_id"] for h in hits["items"]]
    assert set(found) == {a["id"], b["id"]} and hits["total"] == 2
    assert found[0] == a["id"]  # "mötet" twice ranks above one "mötena"
    assert "<mark>mötet</mark>" in hits["items"][0]["snippet_html"].lower()
    assert "<mark>mötena</mark>" in hits["items"][1]["snippet_html"].lower()
    assert "[[[" not in hits["items"][0]["snippet"]

    assert [h["minutes_id"] for h in (await client.get("/v1/search?q=mötena"))["items"]] == [b["id"]]
    only_march = await client.get(f"/v1/search?q=möte&group_id={gid}&from=2016-03-01T00:00:00%2B01:00")
    assert [h["minutes_id"] for h in only_march["items"]] == [b["id"]]
    assert (await client.get(f"/v1/search?q=möte&group_id={other['id']}"))["total"] == 0

    both = await client.get("/v1/search?q=sysselsättning arbete")
    assert [h["minutes_id"] for h in both["items"]] == [c["id"]]
    assert "&amp;" in both["items"][0]["snippet_html"]  # what people wrote is escaped
    assert (await client.get("/v1/search?q=och att"))["total"] == 0  # only stop words
    assert (await client.get("/v1/search?q=%27%29%28%21%26"))["total"] == 0  # operators are not syntax
    await client.call("GET", "/v1/search", expect=422)
