"""The local stack's demo data loads through the public API (run against a real server here)."""

from __future__ import annotations

import asyncio
import socket
from datetime import date
from typing import Any

import uvicorn
from joserfc.jwk import OKPKey

from backbone.identity import Identity, bearer_headers
from backbone.testing import eventually
from devstack import demo
from meetings.app import create_app


class FakeStack:
    def __init__(self, port: int, key: OKPKey) -> None:
        self.port = port
        self.key = key

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.port}"

    def system_headers(self, service: str) -> dict[str, str]:
        return bearer_headers(Identity(subject="system", roles=("system",)), key=self.key, audience=service)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_demo_data_builds_the_group_from_the_seed_minutes(
    settings_factory: Any, signing_key: OKPKey
) -> None:
    settings = settings_factory()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_config=None)
    )
    task = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: server.started, "the meetings server started", timeout=20)
        stack = FakeStack(port, signing_key)
        lines = await asyncio.to_thread(demo.seed, stack, date(2026, 11, 24))  # type: ignore[arg-type]
        assert any("3 old minutes imported" in line for line in lines), lines
        assert any("open action items" in line for line in lines)
        again = await asyncio.to_thread(demo.seed, stack, date(2026, 11, 24))  # type: ignore[arg-type]
        assert len(again) == 1  # the second run finds everything in place

        import httpx

        async with httpx.AsyncClient(
            base_url=stack.url("meetings"), headers=stack.system_headers("meetings")
        ) as c:
            minutes = (await c.get("/v1/minutes", params={"status": "published"})).json()
            assert [m["title"] for m in minutes["items"]] == [
                "Gemensam utvecklingsgrupp 2026-10-05",
                "Gemensam utvecklingsgrupp 2026-09-07",
                "Gemensam utvecklingsgrupp 2026-08-03",
                "Gemensam utvecklingsgrupp 4 april 2016",
                "Gemensam utvecklingsgrupp 7 mars 2016",
                "Gemensam utvecklingsgrupp 22 februari 2016",
            ]
            hits = (await c.get("/v1/search", params={"q": "möte"})).json()
            assert hits["total"] >= 1
            series = (await c.get("/v1/series")).json()["items"]
            listed = next(s for s in series if s["title"] == "Gemensam utvecklingsgrupp")
            joint = (await c.get(f"/v1/series/{listed['id']}")).json()
            assert [m["starts_at"][:10] for m in joint["meetings"]] == [
                "2026-12-07",
                "2027-01-04",
                "2027-02-01",
            ]
            stats = (await c.get("/v1/statistics/attendance-by-organisation")).json()["rows"]
            assert {"2016-02", "2016-03", "2016-04"} <= {r["period"] for r in stats}
            # The chart shows the last year, so a first run must have meetings with attendance in it.
            recent = {r["period"]: r for r in stats if r["period"] >= "2026-01"}
            assert sorted(recent) == ["2026-08", "2026-09", "2026-10"]
            present = {p: sum(r["present"] for r in stats if r["period"] == p) for p in recent}
            assert all(count >= 5 for count in present.values()), present
            decisions = (await c.get("/v1/decisions", params={"limit": 50})).json()
            assert any("Hälsodagen på Gröningen" in d["text"] for d in decisions["items"])
            items = (await c.get("/v1/action-items", params={"status": "open"})).json()
            assert items["total"] >= 7
            assert any(i["text"].startswith("Boka grillplats") for i in items["items"])
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=15)
