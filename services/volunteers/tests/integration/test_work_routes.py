"""The routes of fees, hours, the fee report, reviews and rights over HTTP: the answers a page gets,
refusals in Swedish with nothing changed, a GET on a link that never proposes, who may do what."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

from .vh_world import assignment, pool, volunteer

ADMIN = ("administrator",)


async def world(client) -> dict:
    async with client.pool.acquire() as conn:
        pool_id = await pool(conn, name="Klarspråksgranskare")
        person = await volunteer(conn, name="Hedda Hjälpsam", pools=(pool_id,))
        starts = datetime.now(UTC) - timedelta(days=1)
        work = await assignment(conn, pool_id=pool_id, volunteer_id=person, starts_at=starts)
    return {"pool_id": pool_id, "volunteer_id": person, "assignment_id": work, "day": starts}


async def test_fees_are_added_and_an_overlap_is_refused_with_the_reason(client):
    w = await world(client)
    url = f"/v1/pools/{w['pool_id']}/fees"
    first = await client.post(url, {"hourly_fee": "150.00", "valid_from": "2027-01-01"}, as_=ADMIN)
    assert (first["hourly_fee"], first["valid_until"]) == ("150.00", None)
    refused = await client.call(
        "POST", url, json={"hourly_fee": "175", "valid_from": "2027-06-01"}, as_=ADMIN, expect=409
    )
    assert refused.json()["detail"].startswith("Avgiften överlappar en annan avgift för poolen: 150,00 kr")
    await client.patch(f"/v1/fees/{first['id']}", {"valid_until": "2027-05-31"}, as_=ADMIN)
    await client.post(url, {"hourly_fee": "175", "valid_from": "2027-06-01"}, as_=ADMIN)
    assert [f["hourly_fee"] for f in await client.get(url, as_=ADMIN)] == ["150.00", "175.00"]


async def test_a_get_on_the_hours_link_shows_and_never_proposes_the_post_proposes_once(client):
    w = await world(client)
    link = await client.post(f"/v1/assignments/{w['assignment_id']}/hours-link", as_=ADMIN, expect=200)
    token = link["token"]
    for _ in range(2):
        shown = await client.get(f"/v1/links/hours?token={token}", as_=())
        assert (shown["pool_name"], shown["reported"]) == ("Klarspråksgranskare", None)
    assert (await client.get("/v1/hours", as_=ADMIN))["total"] == 0

    proposed = await client.post(
        "/v1/links/hours", {"token": token, "minutes": 95, "note": "Bra pass"}, as_=()
    )
    assert (proposed["status"], proposed["minutes"]) == ("proposed", 95)
    again = await client.call(
        "POST", "/v1/links/hours", json={"token": token, "minutes": 95}, as_=(), expect=409
    )
    assert "väntar på godkännande" in again.json()["detail"]
    broken = await client.call("GET", "/v1/links/hours?token=nonsense", as_=(), expect=400)
    assert broken.json()["error"] == "invalid_link"

    [waiting] = (await client.get("/v1/hours?status=proposed", as_=ADMIN))["items"]
    assert (waiting["volunteer_name"], waiting["minutes"]) == ("Hedda Hjälpsam", 95)
    approved = await client.post(f"/v1/hours/{waiting['id']}/approve", {"version": 1}, as_=ADMIN, expect=200)
    assert approved["status"] == "approved"
    assert await client.outbox("volunteers.hours.approved.v1")


async def test_the_fee_report_as_json_and_csv_and_the_chart_numbers(client):
    w = await world(client)
    # A fee from long ago: entered then, so straight into the table (the API refuses past months).
    async with client.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO pool_fees (id, pool_id, hourly_fee, valid_from, created_by)"
            " VALUES ($1, $2, 120, '2000-01-01', 's')",
            uuid.uuid4(),
            w["pool_id"],
        )
    logged = await client.post(f"/v1/assignments/{w['assignment_id']}/hours", {"minutes": 90}, as_=ADMIN)
    month = logged["work_date"][:7]

    report = await client.get(f"/v1/reports/fees?month={month}", as_=ADMIN)
    # 90 min at 120 kr = 1.5 h * 120 = 180.00
    assert report["total"] == {"minutes": 90, "hours": "1.50", "amount": "180.00"}
    assert report["people"][0]["lines"][0]["hourly_fee"] == "120.00"

    answer = await client.call("GET", f"/v1/reports/fees.csv?month={month}", as_=ADMIN, expect=200)
    assert answer.headers["content-type"].startswith("text/csv")
    assert f'filename="arvoden-{month}.csv"' in answer.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[1][2:] == ["Hedda Hjälpsam", "Klarspråksgranskare", "120,00", "90", "1,50", "180,00"]

    chart = await client.get(f"/v1/reports/hours-chart?from={month}&months=2", as_=ADMIN)
    assert chart["months"][0] == month and chart["series"][0]["minutes"] == [90, 0]
    bad = await client.call("GET", "/v1/reports/fees?month=2027-13", as_=ADMIN, expect=409)
    assert "år-månad" in bad.json()["detail"]


async def test_a_review_goes_out_comes_back_with_lix_and_an_empty_or_huge_text_changes_nothing(client):
    w = await world(client)
    body = {
        "pool_id": str(w["pool_id"]),
        "kind": "web_page",
        "title": "Om ekonomiskt bistånd",
        "text": "Handläggningstiden för ansökningar om ekonomiskt bistånd uppgår normalt till fyra veckor.",
        "deadline": (datetime.now(UTC) + timedelta(days=5)).date().isoformat(),
        "reviewer_ids": [str(w["volunteer_id"])],
    }
    for text, words in (("  ", "Texten är tom"), ("a" * 50_001, "högst 50 000 tecken")):
        refused = await client.call("POST", "/v1/reviews", json=body | {"text": text}, as_=ADMIN, expect=409)
        assert words in refused.json()["detail"]
    assert (await client.get("/v1/reviews", as_=ADMIN))["total"] == 0

    review = await client.post("/v1/reviews", body, as_=ADMIN)
    [event] = await client.outbox("volunteers.review.submitted.v1")
    token = event["reviewers"][0]["token"]
    shown = await client.get(f"/v1/links/review?token={token}", as_=())
    assert (shown["text"], shown["returned"]) == (body["text"], False)
    returned = await client.post(
        "/v1/links/review",
        {
            "token": token,
            "comments": "Kortare ord.",
            "suggested_text": "Det tar ofta fyra veckor.",
            "minutes": 40,
        },
        as_=(),
    )
    assert float(returned["lix_change"]) < 0
    detail = await client.get(f"/v1/reviews/{review['id']}", as_=ADMIN)
    assert detail["status"] == "returned" and detail["reviewers"][0]["hours_id"]
    decided = await client.post(
        f"/v1/reviews/{review['id']}/decision", {"accept": True, "reason": "Bra"}, as_=ADMIN, expect=200
    )
    assert decided["status"] == "accepted"


async def test_rights_requests_are_the_administrators_and_show_where_they_stand(client):
    w = await world(client)
    body = {"kind": "export", "volunteer_id": str(w["volunteer_id"])}
    await client.call("POST", "/v1/rights/requests", json=body, as_=("pool_coordinator",), expect=403)
    made = await client.post("/v1/rights/requests", body, as_=ADMIN)
    assert (made["status"], made["waiting_for"]) == ("waiting", ["events", "notify"])
    listed = await client.get("/v1/rights/requests?status=waiting", as_=ADMIN)
    assert [r["id"] for r in listed["items"]] == [made["id"]]
    export = await client.get(f"/v1/rights/requests/{made['id']}/export", as_=ADMIN)
    assert export["complete"] is False
    assert export["services"]["volunteers"]["volunteer"]["name"] == "Hedda Hjälpsam"
    missing = await client.call(
        "POST", "/v1/rights/requests", json=body | {"volunteer_id": str(uuid.uuid4())}, as_=ADMIN, expect=404
    )
    assert "ingen volontär" in missing.json()["detail"]
    retry = f"/v1/rights/requests/{made['id']}/retry"
    await client.call("POST", retry, as_=("pool_coordinator",), expect=403)
    # Only a request some service failed is asked again; this one still waits.
    waiting = await client.call("POST", retry, as_=ADMIN, expect=409)
    assert "misslyckats" in waiting.json()["detail"]
