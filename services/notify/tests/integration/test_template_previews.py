"""Administrators preview every template with sample data, in Swedish or English, over the API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from backbone.identity import Identity, bearer_headers, load_signing_key
from notify.app import create_app
from notify.rendering import TEMPLATES
from notify.settings import MIGRATIONS_DIR, Settings


@pytest.fixture
async def api(make_database, nats_server, identity_keys) -> AsyncIterator[Any]:
    key = load_signing_key(str(identity_keys.signing))
    settings = Settings(
        environment="test",
        database_url=make_database("notify", MIGRATIONS_DIR),
        nats_url=nats_server.url,
        identity_public_key=str(identity_keys.public),
        run_consumers=False,
        run_relay=False,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://notify") as http:

            async def get(path: str, *roles: str, **kw: Any) -> httpx.Response:
                headers = bearer_headers(Identity(subject="someone", roles=roles), key=key, audience="notify")
                return await http.get(path, headers=headers, **kw)

            yield get


async def test_the_list_names_every_template_with_its_category(api):
    response = await api("/v1/templates", "administrator")
    assert response.status_code == 200, response.text
    listed = {t["name"]: t for t in response.json()}
    assert set(listed) == set(TEMPLATES)
    assert listed["offer_made"]["critical"] is True
    assert listed["event_reminder"]["category"] == "reminders"
    assert listed["offer_made"]["languages"] == ["sv", "en"]


async def test_a_preview_renders_the_sample_in_swedish_by_default_and_in_english_on_request(api):
    sv = (await api("/v1/templates/registration_confirmed/preview", "administrator")).json()
    assert sv["subject"] == "Du är anmäld: Träff om bostäder måndag 13 mars"
    assert "När: måndag 13 mars 2017 kl. 13.30–15.00" in sv["text"]
    assert '<html lang="sv">' in sv["html"]
    en = (
        await api("/v1/templates/registration_confirmed/preview", "administrator", params={"language": "en"})
    ).json()
    assert en["language"] == "en"
    assert en["subject"].startswith("You are registered:")


async def test_an_unknown_template_is_a_404_that_says_what_to_do(api):
    response = await api("/v1/templates/nothing_like_it/preview", "administrator")
    assert response.status_code == 404
    assert "Välj en mall i listan" in response.text


async def test_only_administrators_see_the_previews(api):
    assert (await api("/v1/templates", "staff")).status_code == 403
    assert (await api("/v1/templates/offer_made/preview", "staff")).status_code == 403
