"""The volunteer's own consents from a signed link: a GET shows them, a POST withdraws one purpose;
withdrawing the consent to offers takes back the person's outstanding offers too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from volunteers.work_links import WorkLink

from .conftest import Client
from .world import ADMIN, a_pool, a_request, a_volunteer, offers_sent


async def _link(client: Client, volunteer_id: str) -> str:
    issued = await client.post(f"/v1/volunteers/{volunteer_id}/consents-link", {}, as_=ADMIN, expect=200)
    return str(issued["token"])


async def test_a_get_shows_the_consents_and_withdraws_nothing(client: Client) -> None:
    pool = await a_pool(client)
    person = await a_volunteer(client, pool, name="Vera Val")
    token = await _link(client, person["id"])
    for _ in range(3):  # a mail scanner, then the person, twice
        shown = await client.get(f"/v1/links/consents?token={token}", as_=())
    assert [(c["purpose"], c["text_version"], c["given_how"]) for c in shown["consents"]] == [
        ("erbjudanden", "2026-1", "form")
    ]
    assert set(shown["consents"][0]) == {"purpose", "text_version", "given_at", "given_how"}
    assert "Vera" not in str(shown)
    assert await client.outbox("volunteers.consent.withdrawn.v1") == []


async def test_a_post_withdraws_the_consent_and_the_waiting_offer_goes_to_the_next(client: Client) -> None:
    pool = await a_pool(client)
    people = [await a_volunteer(client, pool) for _ in range(2)]
    request = await a_request(client, pool)
    [first] = await offers_sent(client, request["id"])
    token = await _link(client, first["volunteer_id"])
    body = {"token": token, "purpose": "erbjudanden"}
    done = await client.post("/v1/links/consents", body, as_=(), expect=200)
    assert (done["purpose"], done["offers_withdrawn"]) == ("erbjudanden", 1)
    assert (await client.get(f"/v1/links/consents?token={token}", as_=()))["consents"] == []
    [withdrawn] = await client.outbox("volunteers.offer.withdrawn.v1")
    assert withdrawn["offer_id"] == first["offer_id"]
    sent = await offers_sent(client, request["id"])
    assert [o["volunteer_id"] for o in sent] == [
        first["volunteer_id"],
        *(p["id"] for p in people if p["id"] != first["volunteer_id"]),
    ]
    # The link still works, since a person may come back; there is nothing more to withdraw.
    again = await client.call("POST", "/v1/links/consents", json=body, as_=(), expect=409)
    assert "inget gällande samtycke" in again.json()["detail"]


async def test_an_expired_or_forged_link_is_refused_with_a_clear_message(client: Client) -> None:
    pool = await a_pool(client)
    person = await a_volunteer(client, pool)
    long_ago = datetime.now(UTC) - timedelta(days=400)
    expired = client.app.state.work_signer.sign(
        WorkLink(target_id=person["id"], action="consents", expires_at=long_ago + timedelta(days=1)),
        now=long_ago,
    )
    refused = await client.call("GET", f"/v1/links/consents?token={expired}", as_=(), expect=409)
    assert "gått ut" in refused.json()["detail"]
    forged = await client.call("GET", "/v1/links/consents?token=nonsense", as_=(), expect=400)
    assert "trasig" in forged.json()["detail"]
