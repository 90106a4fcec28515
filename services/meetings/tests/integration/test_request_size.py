"""The service refuses bodies over its limit with 413, unread; imports have a larger limit of their own."""

from __future__ import annotations

from .conftest import Client

LIMIT = 1_048_576


async def test_an_oversized_json_post_is_refused_with_413(client: Client) -> None:
    response = await client.call(
        "POST", "/v1/meetings", json={"title": "x" * (LIMIT + 1), "starts_at": "2026-01-05T13:30:00+01:00"}
    )
    assert response.status_code == 413
    assert "at most 1.0 MB" in response.json()["detail"]


async def test_an_import_of_500_000_characters_fits(client: Client) -> None:
    text = "Gemensam utvecklingsgrupp 7 mars 2016\n\nNärvarande\n" + "å" * 499_000
    response = await client.call("POST", "/v1/imports", json={"text": text, "year": 2016})
    assert response.status_code != 413
    assert (await client.call("POST", "/v1/imports", json={"text": "å" * 1_500_000})).status_code == 413
