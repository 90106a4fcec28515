"""Only the contact the chosen channel needs goes out on the bus (review finding 8)."""

from __future__ import annotations

from .conftest import Client
from .world import a_pool, a_request, a_volunteer, offers_sent


async def test_an_offer_by_email_carries_no_phone_number_and_one_by_text_no_email(client: Client) -> None:
    pool = await a_pool(client)
    by_mail = await a_volunteer(client, pool, phone="070-111 22 33", preferred_channel="email")
    request = await a_request(client, pool, seats=1, offers_per_place=2)
    by_text = await a_volunteer(client, pool, phone="070-444 55 66", preferred_channel="sms")
    later = await a_request(client, pool, seats=1, offers_per_place=2)
    sent = {o["volunteer_id"]: o["recipient"] for o in await offers_sent(client, request["id"])}
    sent |= {o["volunteer_id"]: o["recipient"] for o in await offers_sent(client, later["id"])}
    assert sent[by_mail["id"]]["phone"] is None and sent[by_mail["id"]]["email"]
    assert sent[by_text["id"]]["email"] is None and sent[by_text["id"]]["phone"] == "070-444 55 66"
