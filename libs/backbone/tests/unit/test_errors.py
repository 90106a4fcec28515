"""Domain errors become HTTP answers that carry the use case's own words."""

import httpx
import pytest
from fastapi import FastAPI

from backbone.errors import NotAllowed, NotFound, RuleError, StaleVersion, install_rule_errors


async def answer_to(exc: Exception) -> httpx.Response:
    app = FastAPI()
    install_rule_errors(app)

    @app.get("/thing")
    async def thing() -> None:
        raise exc

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service") as http:
        return await http.get("/thing")


@pytest.mark.parametrize(
    ("exc", "status", "kind"),
    [
        (NotFound("there is no meeting with id 7"), 404, "NotFound"),
        (NotAllowed("that person belongs to another organisation"), 403, "NotAllowed"),
        (StaleVersion("someone changed the minutes; reload them"), 409, "stale_version"),
        (RuleError("published minutes cannot change"), 409, "RuleError"),
    ],
)
async def test_each_domain_error_has_its_status_and_keeps_its_message(exc, status, kind):
    response = await answer_to(exc)
    assert response.status_code == status
    message = str(exc)
    assert response.json() == {"detail": message[0].upper() + message[1:] + ".", "error": kind}


async def test_a_message_that_ends_its_sentence_gets_no_second_full_stop():
    response = await answer_to(RuleError("the series has ended."))
    assert response.json()["detail"] == "The series has ended."


async def test_data_the_database_cannot_store_is_a_400_that_says_what_to_do():
    import asyncpg

    response = await answer_to(asyncpg.exceptions.CharacterNotInRepertoireError("invalid byte sequence"))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_data" and "tecken" in response.json()["detail"]
    assert "byte sequence" not in response.text
