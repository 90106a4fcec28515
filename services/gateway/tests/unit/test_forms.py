"""Reading forms: invitees one per line, dates as people type them."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any, cast

from fastapi import Response
from structlog.testing import capture_logs

from gateway.forms import parse_date, parse_invitees, send_form
from gateway.upstream import Answer, Services


def test_invitees_are_read_one_per_line() -> None:
    invitees, bad = parse_invitees("Anna Berg, anna@example.se\nBo <bo@example.se>\n\nno address here")
    assert invitees == [
        {"name": "Anna Berg", "email": "anna@example.se"},
        {"name": "Bo", "email": "bo@example.se"},
    ]
    assert bad == [4]


def test_a_date_is_read_as_year_month_day_and_anything_else_is_none() -> None:
    assert parse_date("2026-03-07") == date(2026, 3, 7)
    assert parse_date("7/3 2026") is None
    assert parse_date("") is None


class SavingService:
    """Stands in for the gateway's way to the services: the service saved the change."""

    async def call(self, service: str, method: str, path: str, **_options: Any) -> Answer:
        return Answer(201, b'{"id": "m-1"}')


def test_a_saved_change_goes_to_its_page_even_when_the_step_after_it_fails() -> None:
    """The service has committed: an error page now would tell the person it failed, and a retry
    would save it twice. The failure goes to the log instead."""

    async def audit_insert_fails(_data: Any) -> None:
        raise RuntimeError("the audit table is not reachable")

    async def again(_errors: dict[str, str]) -> Response:
        raise AssertionError("the form must not be shown again for a saved change")

    with capture_logs() as logs:
        answer = asyncio.run(
            send_form(
                cast(Services, SavingService()),
                "POST",
                "/v1/meetings",
                {"title": "Styrelsemöte"},
                errors={},
                saved=lambda data: f"/meetings/{data['id']}",
                again=again,
                refused_at="title",
                then=audit_insert_fails,
            )
        )
    assert answer.status_code == 303 and answer.headers["location"] == "/meetings/m-1"
    assert [e for e in logs if e["log_level"] == "error" and "audit table" in e.get("error", "")]
