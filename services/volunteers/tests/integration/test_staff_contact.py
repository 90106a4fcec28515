"""The staff member who asked is told when their request is filled and when a review comes back:
the events carry their work address and language, as the gateway's identity gave them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from backbone.identity import Identity, bearer_headers

from .conftest import Client
from .world import a_pool, a_volunteer, in_days, token_of

SARA = Identity(
    subject="staff-sara",
    roles=("administrator",),
    name="Sara Personal",
    email="sara@kommun.example.se",
    language="en",
)


async def as_sara(client: Client, method: str, url: str, body: Any, expect: int) -> Any:
    headers = bearer_headers(SARA, key=client.key, audience="volunteers")
    response = await client.http.request(method, url, json=body, headers=headers)
    assert response.status_code == expect, response.text
    return response.json()


async def test_a_filled_request_carries_the_address_and_language_of_the_one_who_asked(client: Client) -> None:
    pool = await a_pool(client)
    person = await a_volunteer(client, pool)
    starts = in_days(10)
    body = {
        "pool_id": pool["id"],
        "seats": 1,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=1)).isoformat(),
    }
    request = await as_sara(client, "POST", "/v1/requests", body, 201)
    token = await token_of(client, request["id"], person["id"])
    await client.call("POST", "/v1/links/offer", json={"token": token}, as_=(), expect=200)

    [filled] = [
        e for e in await client.outbox("volunteers.request.filled.v1") if e["request_id"] == request["id"]
    ]
    assert filled["requested_by_contact"] == {
        "name": "Sara Personal",
        "email": "sara@kommun.example.se",
        "language": "en",
    }


async def test_a_request_from_someone_without_an_address_names_no_contact(client: Client) -> None:
    pool = await a_pool(client)
    person = await a_volunteer(client, pool)
    starts = in_days(10)
    body = {
        "pool_id": pool["id"],
        "seats": 1,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=1)).isoformat(),
    }
    request = await client.post("/v1/requests", body, as_=("staff",))
    token = await token_of(client, request["id"], person["id"])
    await client.call("POST", "/v1/links/offer", json={"token": token}, as_=(), expect=200)
    [filled] = [
        e for e in await client.outbox("volunteers.request.filled.v1") if e["request_id"] == request["id"]
    ]
    assert filled["requested_by_contact"] is None


async def test_a_returned_review_carries_the_address_of_the_one_who_sent_the_text(client: Client) -> None:
    pool = await a_pool(client)
    person = await a_volunteer(client, pool)
    body = {
        "pool_id": pool["id"],
        "kind": "brochure",
        "title": "Så söker du bostad",
        "text": "Ansökan om bostad ska inlämnas skriftligen till förvaltningens handläggare.",
        "deadline": in_days(7).date().isoformat(),
        "reviewer_ids": [person["id"]],
    }
    review = await as_sara(client, "POST", "/v1/reviews", body, 201)
    [submitted] = [
        e for e in await client.outbox("volunteers.review.submitted.v1") if e["review_id"] == review["id"]
    ]
    answer = {
        "token": submitted["reviewers"][0]["token"],
        "comments": "Kortare.",
        "suggested_text": "Skicka in.",
    }
    await client.call("POST", "/v1/links/review", json=answer, as_=(), expect=201)

    [returned] = [
        e for e in await client.outbox("volunteers.review.returned.v1") if e["review_id"] == review["id"]
    ]
    assert returned["submitted_by_contact"] == {
        "name": "Sara Personal",
        "email": "sara@kommun.example.se",
        "language": "en",
    }
