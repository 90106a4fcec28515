"""Agendas (ordered, with open action items carried over) and attendance with counts by organisation."""

from __future__ import annotations

import uuid
from typing import Any


async def two_meetings(client: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    group = await client.post(
        "/v1/groups", {"name": f"Grupp {uuid.uuid4().hex[:6]}", "kind": "joint_development"}
    )
    series = await client.post(
        "/v1/series",
        {
            "title": "Gemensam utvecklingsgrupp",
            "group_id": group["id"],
            "recurrence": {"frequency": "monthly", "weekday": 0, "week_of_month": 1},
            "start_time": "13:30",
            "duration_minutes": 120,
            "starts_on": "2016-02-01",
            "count": 2,
        },
    )
    first, second = series["meetings"]
    return group, first, second


async def test_agenda_items_are_ordered_and_open_action_items_come_back_by_themselves(client: Any) -> None:
    group, first, second = await two_meetings(client)
    david = await client.post("/v1/people", {"name": "David Bergström"})
    klarsprak = await client.post(
        "/v1/groups", {"name": f"Klarspråk {uuid.uuid4().hex[:4]}", "kind": "working_group"}
    )
    base = f"/v1/meetings/{second['id']}/agenda"
    await client.post(
        f"{base}/items", {"title": "Avstämningshalvdag", "kind": "decision", "duration_minutes": 30}
    )
    await client.post(
        f"{base}/items",
        {
            "title": "Klarspråk",
            "kind": "working_group_report",
            "duration_minutes": 10,
            "responsible_group_id": klarsprak["id"],
        },
    )
    agenda = await client.post(
        f"{base}/items",
        {
            "title": "Besök av Per Skålén",
            "kind": "theme",
            "duration_minutes": 45,
            "guests": ["Per Skålén"],
            "responsible_person_id": david["id"],
            "position": 1,
        },
    )
    assert [(i["position"], i["title"]) for i in agenda["items"]] == [
        (1, "Besök av Per Skålén"),
        (2, "Avstämningshalvdag"),
        (3, "Klarspråk"),
    ]
    assert agenda["items"][0]["guests"] == ["Per Skålén"]
    assert agenda["items"][0]["responsible_person_name"] == "David Bergström"
    assert agenda["items"][2]["responsible_group_name"] == klarsprak["name"]
    assert agenda["total_minutes"] == 85

    ids = [i["id"] for i in agenda["items"]]
    reordered = await client.put(f"{base}/order", {"item_ids": list(reversed(ids))})
    assert [i["title"] for i in reordered["items"]] == [
        "Klarspråk",
        "Avstämningshalvdag",
        "Besök av Per Skålén",
    ]
    await client.call("PUT", f"{base}/order", json={"item_ids": ids[:2]}, expect=409)
    after_delete = (await client.call("DELETE", f"{base}/items/{ids[1]}", expect=200)).json()
    assert [i["position"] for i in after_delete["items"]] == [1, 2]

    # A promise made at the first meeting appears on the second meeting's agenda until it is closed.
    promise = await client.post(
        f"/v1/meetings/{first['id']}/action-items",
        {"text": "Kolla upp lokalerna", "owner_name": "Martina", "due_date": "2016-03-01"},
    )
    carried = (await client.get(base))["open_action_items"]
    assert [a["text"] for a in carried] == ["Kolla upp lokalerna"]
    assert (await client.get(f"/v1/meetings/{first['id']}/agenda"))["open_action_items"] == []

    closed = await client.post(
        f"/v1/action-items/{promise['id']}/close",
        {
            "version": promise["version"],
            "status": "done",
            "closed_in_meeting_id": second["id"],
            "note": "Bokat",
        },
        expect=200,
    )
    assert closed["status"] == "done" and closed["closed_in_meeting_id"] == second["id"]
    assert (await client.get(base))["open_action_items"] == []
    twice = await client.call(
        "POST",
        f"/v1/action-items/{promise['id']}/close",
        json={"version": closed["version"], "status": "dropped"},
        expect=409,
    )
    assert "already done" in twice.json()["detail"]

    # Representatives see only items owned by people of their organisation.
    rep = ("org_representative",)
    await client.call("GET", f"/v1/action-items/{promise['id']}", as_=rep, org=uuid.uuid4(), expect=404)
    assert (await client.get("/v1/action-items", as_=rep, org=uuid.uuid4()))["total"] == 0

    assigned = await client.events("meetings.action_item.assigned.v1")
    assert assigned[0]["owner_name"] == "Martina" and assigned[0]["group_id"] == group["id"]
    closed_events = await client.events("meetings.action_item.closed.v1")
    assert closed_events[0]["status"] == "done" and closed_events[0]["closed_in_meeting_id"] == second["id"]


async def test_attendance_per_person_with_the_organisation_represented_and_counts(client: Any) -> None:
    group, first, second = await two_meetings(client)
    bryggan = await client.post("/v1/organisations", {"name": "Bryggan"})
    sof = await client.post("/v1/organisations", {"name": "socialförvaltningen", "kind": "municipal"})
    ria = await client.post("/v1/organisations", {"name": "Ria"})
    pierre = await client.post("/v1/people", {"name": "Pierre Sander", "organisation_id": bryggan["id"]})
    leif = await client.post("/v1/people", {"name": "Leif Redestig", "organisation_id": sof["id"]})
    bo = await client.post("/v1/people", {"name": "Bo Pettersson", "organisation_id": ria["id"]})
    guest = await client.post("/v1/people", {"name": "Per Skålén"})
    # Bo belongs to Ria but represents G7 in this group.
    g7 = await client.post("/v1/organisations", {"name": "G7"})
    await client.put(f"/v1/groups/{group['id']}/members/{bo['id']}", {"organisation_id": g7["id"]})

    url = f"/v1/meetings/{first['id']}/attendance"
    await client.put(f"{url}/{pierre['id']}", {"status": "present"})
    await client.put(f"{url}/{leif['id']}", {"status": "excused"})
    row = await client.put(f"{url}/{bo['id']}", {"status": "present"})
    assert row["organisation_name"] == "G7"
    await client.put(f"{url}/{guest['id']}", {"status": "guest"})
    await client.put(f"/v1/meetings/{second['id']}/attendance/{pierre['id']}", {"status": "present"})
    await client.put(f"/v1/meetings/{second['id']}/attendance/{leif['id']}", {"status": "present"})

    listed = await client.get(url)
    assert [(r["person_name"], r["status"], r["organisation_name"]) for r in listed] == [
        ("Bo Pettersson", "present", "G7"),
        ("Pierre Sander", "present", "Bryggan"),
        ("Per Skålén", "guest", None),
        ("Leif Redestig", "excused", "socialförvaltningen"),
    ]
    recorded = await client.events("meetings.attendance.recorded.v1")
    assert len(recorded) == 6 and recorded[2]["organisation_id"] == g7["id"]

    stats = await client.get(f"/v1/statistics/attendance-by-organisation?group_id={group['id']}")
    table = {
        (r["period"], r["organisation_name"]): (r["present"], r["excused"], r["guest"]) for r in stats["rows"]
    }
    assert table == {
        ("2016-02", "Bryggan"): (1, 0, 0),
        ("2016-02", "G7"): (1, 0, 0),
        ("2016-02", "Utan organisation"): (0, 0, 1),
        ("2016-02", "socialförvaltningen"): (0, 1, 0),
        ("2016-03", "Bryggan"): (1, 0, 0),
        ("2016-03", "socialförvaltningen"): (1, 0, 0),
    }
    period = await client.get(
        f"/v1/statistics/attendance-by-organisation?group_id={group['id']}&from=2016-03-01T00:00:00%2B01:00"
    )
    assert {r["period"] for r in period["rows"]} == {"2016-03"}

    # A representative records and sees only its own organisation's attendance.
    rep = ("org_representative",)
    await client.put(f"{url}/{pierre['id']}", {"status": "absent"}, as_=rep, org=bryggan["id"])
    await client.call(
        "PUT", f"{url}/{leif['id']}", json={"status": "present"}, as_=rep, org=bryggan["id"], expect=403
    )
    mine = await client.get(url, as_=rep, org=bryggan["id"])
    assert [(r["person_name"], r["status"]) for r in mine] == [("Pierre Sander", "absent")]
    mine_stats = await client.get("/v1/statistics/attendance-by-organisation", as_=rep, org=bryggan["id"])
    assert {r["organisation_name"] for r in mine_stats["rows"]} == {"Bryggan"}
    await client.call("PUT", f"{url}/{pierre['id']}", json={"status": "maybe"}, expect=422)
