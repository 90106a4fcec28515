"""Volunteers' export and erasure requests (docs/rights.md): the events service answers each once,
through its outbox, with everything it holds about the person, or after erasing it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from joserfc.jwk import OKPKey

from backbone.envelope import new_envelope
from backbone.errors import RuleError
from backbone.testing import in_process, where_it_remains
from events import registrations
from events.app import create_app
from events.consumers import subscriptions
from events.links import Signer
from events.registrations import Context
from events.settings import Settings

from .conftest import Client
from .world import published_event, signup, soon


async def deliver(client: Any, subject: str, data: dict[str, Any], *, times: int = 1) -> None:
    """Hand the event to its handler (`times` over, as redeliveries would), as the consumer does."""
    [sub] = [s for s in subscriptions(client.settings) if s.subject == subject]
    env = new_envelope(
        subject=subject,
        source="/volunteers",
        data=data,
        aggregate=f"rights_request/{data['request_id']}",
        correlation_id=None,
    )
    for _ in range(times):
        async with client.pool.acquire() as conn, conn.transaction():
            await sub.handler(conn, env, sub.model.model_validate(env.data))


def someone() -> dict[str, str]:
    tag = uuid.uuid4().hex[:8]
    digits = str(uuid.uuid4().int)[:7]
    return {"name": f"Greta Granskare {tag}", "email": f"Greta.{tag}@example.se", "phone": f"070-{digits}"}


def request(who: dict[str, str], services: tuple[str, ...] = ("volunteers", "events", "notify")) -> dict:
    return {
        "request_id": str(uuid.uuid4()),
        "volunteer_id": str(uuid.uuid4()),
        "services": list(services),
        # as the volunteers service keeps them: the address in other case, the number written otherwise
        "person": {"name": who["name"], "email": who["email"].lower(), "phone": "+46" + who["phone"][1:]},
        "requested_at": soon(0).isoformat(),
    }


async def answers(client: Any, kind: str, request_id: str) -> list[dict[str, Any]]:
    return [a for a in await client.outbox(f"events.{kind}.completed.v1") if a["request_id"] == request_id]


async def with_a_history(client: Any, who: dict[str, str]) -> dict[str, Any]:
    """Four events: a place (with answers to the questions) and the first in the queue behind them;
    a place in a queue; a place taken and checked in at the door; a place at an event that is over."""
    held = await published_event(client, capacity=1, asks_accessibility=True, asks_food=True)
    mine = await signup(
        client,
        held,
        {"name": who["name"], "email": who["email"], "accessibility": ["wheelchair"], "food": "Vegan"},
    )
    behind = await signup(client, held, {"name": "Kenneth Tell", "email": "kenneth@example.se"})
    queue = await published_event(client, capacity=1)
    await signup(client, queue, {"name": "Anna Först", "email": "anna@example.se"})
    await signup(client, queue, {"name": who["name"], "phone": who["phone"]})
    came = await published_event(client, capacity=5)
    there = await signup(client, came, {"name": who["name"], "email": who["email"]})
    await client.post(
        f"/v1/events/{came['id']}/check-in",
        {"registration_id": there["id"], "nonce": uuid.uuid4().hex},
        expect=200,
    )
    over = await published_event(client, capacity=5)
    await signup(client, over, {"name": who["name"], "email": who["email"]})
    async with client.pool.acquire() as conn:
        await conn.execute(
            "UPDATE events SET starts_at = now() - interval '3 days', ends_at = now() - interval '2 days'"
            " WHERE id = $1",
            uuid.UUID(over["id"]),
        )
    return {"held": held, "mine": mine, "behind": behind, "queue": queue, "came": came, "over": over}


async def test_an_export_holds_every_registration_queue_place_answer_and_check_in(client: Any) -> None:
    who = someone()
    history = await with_a_history(client, who)
    asked = request(who)
    await deliver(client, "volunteers.export.requested.v1", asked, times=2)

    [answer] = await answers(client, "export", asked["request_id"])
    assert (answer["service"], answer["status"], answer["detail"]) == ("events", "done", "")
    part = answer["data"]
    by_event = {r["event_id"]: r for r in part["registrations"]}
    assert set(by_event) == {history[k]["id"] for k in ("held", "queue", "came", "over")}
    held = by_event[history["held"]["id"]]
    assert (held["status"], held["name"], held["email"]) == ("registered", who["name"], who["email"])
    assert (held["accessibility"], held["food"]) == (["wheelchair"], "Vegan")
    queued = by_event[history["queue"]["id"]]
    assert (queued["status"], queued["place_in_queue"], queued["phone"]) == ("waiting", 1, who["phone"])
    came = by_event[history["came"]["id"]]
    assert came["checked_in_at"] is not None
    assert [s["registration_id"] for s in part["check_ins"]] == [came["id"]]
    # Nothing changed, and nobody else is in it.
    assert "Kenneth" not in str(part) and "Anna" not in str(part)
    async with client.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM registrations WHERE name = $1", who["name"]) == 4


async def test_a_request_for_someone_unknown_or_not_asked_of_events_is_answered_accordingly(
    client: Any,
) -> None:
    nobody = request(someone())
    await deliver(client, "volunteers.erasure.requested.v1", nobody)
    [answer] = await answers(client, "erasure", nobody["request_id"])
    assert (answer["status"], answer["data"]) == ("nothing_held", None)

    who = someone()
    await with_a_history(client, who)
    elsewhere = request(who, services=("volunteers", "notify"))
    await deliver(client, "volunteers.erasure.requested.v1", elsewhere)
    assert await answers(client, "erasure", elsewhere["request_id"]) == []
    async with client.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM registrations WHERE name = $1", who["name"]) == 4


def needles_of(who: dict[str, str]) -> list[str]:
    return [who["name"], who["email"], who["phone"], "+46" + who["phone"][1:].replace("-", "")]


@pytest.fixture
async def unrelayed(settings_factory: Callable[..., Settings], signing_key: OKPKey) -> AsyncIterator[Client]:
    """An events app whose relay does not run: the test says what has been published."""
    settings = settings_factory(run_relay=False)
    app = create_app(settings)
    async with in_process(app, "http://events") as http:
        yield Client(
            http, dsn=settings.database_url, settings=settings, key=signing_key, app=app, audience="events"
        )


async def test_after_an_erasure_no_name_email_or_phone_remains_in_any_table(unrelayed: Any) -> None:
    client = unrelayed
    who = someone()
    await with_a_history(client, who)
    exported = request(who)
    await deliver(client, "volunteers.export.requested.v1", exported)
    async with client.pool.acquire() as conn:
        # The relay published all but the person's newest events; those are still to go.
        await conn.execute(
            "UPDATE outbox SET published_at = now()"
            " WHERE published_at IS NULL AND id < (SELECT max(id) - 1 FROM outbox)"
        )
        assert await where_it_remains(conn, needles_of(who))  # the check finds what is there
        unpublished = await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        assert unpublished == 2

    erasure = request(who)
    await deliver(client, "volunteers.erasure.requested.v1", erasure, times=2)

    [answer] = await answers(client, "erasure", erasure["request_id"])
    assert (answer["service"], answer["status"], answer["data"]) == ("events", "done", None)
    async with client.pool.acquire() as conn:
        assert await where_it_remains(conn, needles_of(who)) == []
        # What was still to go goes, without the person in it.
        assert await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") > unpublished


async def test_an_erasure_keeps_the_counts_and_gives_the_places_on_in_order(client: Any) -> None:
    who = someone()
    history = await with_a_history(client, who)
    erasure = request(who)
    await deliver(client, "volunteers.erasure.requested.v1", erasure)

    async def counts(event: dict[str, Any]) -> dict[str, int]:
        return (await client.get(f"/v1/events/{event['id']}/registrations/summary"))["counts"]

    # The place they held went to the first in the queue, as an offer.
    assert await counts(history["held"]) == {"cancelled": 1, "offered": 1}
    [offer] = [
        o for o in await client.outbox("events.offer.made.v1") if o["event_id"] == history["held"]["id"]
    ]
    assert (offer["registration_id"], offer["person"]["name"]) == (history["behind"]["id"], "Kenneth Tell")
    # Their place in a queue is given up; the one with the place keeps it.
    assert await counts(history["queue"]) == {"registered": 1, "cancelled": 1}
    # Those who came, and the event that is over, count them as before.
    assert await counts(history["came"]) == {"registered": 1}
    assert await counts(history["over"]) == {"registered": 1}
    cancelled = {c["registration_id"] for c in await client.outbox("events.registration.cancelled.v1")}
    assert history["mine"]["id"] in cancelled

    # Their personal links no longer do anything.
    ctx = Context(signer=Signer(client.settings.link_key), zone=client.settings.zone, now=soon(0))
    async with client.pool.acquire() as conn:
        with pytest.raises(RuleError, match="redan avbokad"):
            await registrations.cancel_by_link(conn=conn, token=history["mine"]["cancel_token"], ctx=ctx)
        row = await conn.fetchrow(
            "SELECT name, email, phone, accessibility, food, anonymised_at FROM registrations WHERE id = $1",
            uuid.UUID(history["mine"]["id"]),
        )
    assert (row["name"], row["email"], row["phone"], row["accessibility"], row["food"]) == (
        "",
        None,
        None,
        [],
        None,
    )
    assert row["anonymised_at"] is not None


async def test_an_offer_to_the_person_stops_working_when_they_are_erased(client: Any) -> None:
    who = someone()
    event = await published_event(client, capacity=1, starts_at=soon(5))
    first = await signup(client, event, {"name": "Anna Först", "email": "anna@example.se"})
    await signup(client, event, {"name": who["name"], "email": who["email"]})
    await signup(client, event, {"name": "Kenneth Tell", "email": "kenneth@example.se"})
    await client.post(f"/v1/events/{event['id']}/registrations/{first['id']}/cancel", {}, expect=200)
    [offer] = [o for o in await client.outbox("events.offer.made.v1") if o["event_id"] == event["id"]]
    assert offer["person"]["name"] == who["name"]

    await deliver(client, "volunteers.erasure.requested.v1", request(who))

    ctx = Context(signer=Signer(client.settings.link_key), zone=client.settings.zone, now=soon(0))
    async with client.pool.acquire() as conn:
        with pytest.raises(RuleError):
            await registrations.answer_offer(conn=conn, token=offer["confirm_token"], accept=True, ctx=ctx)
    # The place goes on to the next in line.
    offers = [o for o in await client.outbox("events.offer.made.v1") if o["event_id"] == event["id"]]
    assert [o["person"]["name"] for o in offers][-1] == "Kenneth Tell"
    assert (await client.get(f"/v1/events/{event['id']}/registrations/summary"))["counts"] == {
        "cancelled": 2,
        "offered": 1,
    }


async def test_erasing_one_address_keeps_the_export_answer_of_a_longer_address_that_contains_it(
    unrelayed: Any,
) -> None:
    client = unrelayed
    tag = uuid.uuid4().hex[:8]
    anna = {"name": "Anna Kort", "email": f"anna.{tag}@example.se", "phone": "070-1112223"}
    johanna = {"name": "Johanna Lång", "email": f"johanna.{tag}@example.se", "phone": "070-4445556"}
    event = await published_event(client, capacity=5)
    await signup(client, event, {"name": anna["name"], "email": anna["email"]})
    await signup(client, event, {"name": johanna["name"], "email": johanna["email"]})
    exported = request(johanna)
    await deliver(client, "volunteers.export.requested.v1", exported)

    await deliver(client, "volunteers.erasure.requested.v1", request(anna))

    [answer] = await answers(client, "export", exported["request_id"])
    assert [r["email"] for r in answer["data"]["registrations"]] == [johanna["email"]]


async def test_a_request_whose_id_is_not_a_uuid_is_refused_as_invalid_not_retried(client: Any) -> None:
    from pydantic import ValidationError

    bad = request(someone()) | {"request_id": "not-a-uuid"}
    with pytest.raises(ValidationError):
        await deliver(client, "volunteers.erasure.requested.v1", bad)
