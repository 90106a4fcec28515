"""The webhook routes over HTTP with gateway-signed identities: a representative's own organisation
only, administrators every one; the secret shown once; refusals in Swedish."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from backbone.identity import Identity, bearer_headers, load_signing_key
from notify.app import create_app
from notify.settings import Settings
from notify.webhooks.delivery import WebhookDeliverer

from .conftest import Clock, Receiver, Resolver

pytestmark = pytest.mark.timeout(60)
BRYGGAN = uuid.uuid4()
RIA = uuid.uuid4()


class Api:
    def __init__(self, http: httpx.AsyncClient, key: Any, settings: Settings) -> None:
        self.http = http
        self.key = key
        self.settings = settings  # the app's own: a test may turn the guard's allowance off

    def as_(self, *roles: str, org: uuid.UUID | None = None) -> dict[str, str]:
        who = Identity(
            subject="u-" + uuid.uuid4().hex[:6], roles=roles, organisation_id=str(org) if org else None
        )
        return bearer_headers(who, key=self.key, audience="notify")

    async def call(self, method: str, url: str, *, who: dict[str, str], expect: int, **kw: Any) -> Any:
        response = await self.http.request(method, url, headers=who, **kw)
        assert response.status_code == expect, f"{method} {url}: {response.status_code} {response.text}"
        return response.json() if response.content else None


@pytest.fixture
async def api(dsn: str, nats_server: Any, identity_keys: Any, resolver: Resolver) -> AsyncIterator[Api]:
    settings = Settings(
        environment="test",
        database_url=dsn,
        nats_url=nats_server.url,
        identity_public_key=str(identity_keys.public),
        webhooks_allow_private=True,
        # The tests run the delivery worker themselves, with their own clock.
        run_consumers=False,
        run_relay=False,
    )
    app = create_app(settings)
    app.state.webhook_resolve = resolver
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://notify") as http:
            yield Api(http, load_signing_key(str(identity_keys.signing)), settings)


def new_endpoint(port: int, **extra: Any) -> dict[str, Any]:
    return {
        "url": f"http://receiver.test:{port}/in",
        "topics": ["event.published", "registration.created"],
        "contact_email": "it@bryggan.example.se",
        **extra,
    }


async def test_a_representative_registers_for_their_own_organisation_and_sees_the_secret_once(
    api: Api, receiver: Receiver
) -> None:
    rep = api.as_("org_representative", org=BRYGGAN)
    made = await api.call(
        "POST", "/v1/webhooks/endpoints", who=rep, expect=201, json=new_endpoint(receiver.port)
    )
    assert made["secret"].startswith("whsec_")
    assert made["organisation_id"] == str(BRYGGAN)
    shown = await api.call("GET", f"/v1/webhooks/endpoints/{made['id']}", who=rep, expect=200)
    assert "secret" not in shown
    listed = await api.call("GET", "/v1/webhooks/endpoints", who=rep, expect=200)
    assert [e["id"] for e in listed["items"]] == [made["id"]]


async def test_another_organisations_endpoints_are_out_of_sight_and_reach(
    api: Api, receiver: Receiver
) -> None:
    bryggan = api.as_("org_representative", org=BRYGGAN)
    ria = api.as_("org_representative", org=RIA)
    made = await api.call(
        "POST", "/v1/webhooks/endpoints", who=bryggan, expect=201, json=new_endpoint(receiver.port)
    )
    assert (await api.call("GET", "/v1/webhooks/endpoints", who=ria, expect=200))["items"] == []
    refused = await api.call("GET", f"/v1/webhooks/endpoints/{made['id']}", who=ria, expect=404)
    assert "annan organisation" in refused["detail"]
    await api.call("POST", f"/v1/webhooks/endpoints/{made['id']}/rotate-secret", who=ria, expect=404)
    await api.call("DELETE", f"/v1/webhooks/endpoints/{made['id']}", who=ria, expect=404)
    other_org = new_endpoint(receiver.port, organisation_id=str(BRYGGAN))
    refused = await api.call("POST", "/v1/webhooks/endpoints", who=ria, expect=403, json=other_org)
    assert "egen organisation" in refused["detail"]


async def test_an_administrator_sees_every_organisation_and_names_the_organisation(
    api: Api, receiver
) -> None:
    admin = api.as_("administrator")
    refused = await api.call(
        "POST", "/v1/webhooks/endpoints", who=admin, expect=422, json=new_endpoint(receiver.port)
    )
    assert "organisation" in refused["detail"]
    body = new_endpoint(receiver.port, organisation_id=str(RIA))
    made = await api.call("POST", "/v1/webhooks/endpoints", who=admin, expect=201, json=body)
    await api.call("GET", f"/v1/webhooks/endpoints/{made['id']}", who=admin, expect=200)
    only_ria = await api.call("GET", f"/v1/webhooks/endpoints?organisation_id={RIA}", who=admin, expect=200)
    assert made["id"] in [e["id"] for e in only_ria["items"]]


async def test_staff_and_accounts_without_an_organisation_are_refused_in_swedish(api: Api, receiver) -> None:
    await api.call("GET", "/v1/webhooks/endpoints", who=api.as_("staff"), expect=403)
    refused = await api.call("GET", "/v1/webhooks/endpoints", who=api.as_("org_representative"), expect=403)
    assert "organisation" in refused["detail"] and "Ditt konto" in refused["detail"]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"url": "http://intranet.test/in"}, "privat nät"),
        ({"url": "ftp://receiver.test/"}, "https://"),
        ({"topics": []}, "minst ett ämne"),
        ({"topics": ["everything"]}, "finns inte"),
        ({"contact_email": "nobody"}, "e-postadress"),
    ],
)
async def test_bad_endpoints_are_refused_with_what_to_change(
    api: Api, resolver: Resolver, receiver, change, words
) -> None:
    resolver.answers["intranet.test"] = ["10.0.0.7"]
    rep = api.as_("org_representative", org=BRYGGAN)
    # The local receiver needs the allowance; the guard is asked here as production would ask it.
    api.settings.webhooks_allow_private = "intranet" not in change.get("url", "")
    refused = await api.call(
        "POST", "/v1/webhooks/endpoints", who=rep, expect=422, json=new_endpoint(receiver.port) | change
    )
    assert words in refused["detail"]


async def test_test_event_log_and_replay(api: Api, pool, resolver: Resolver, receiver: Receiver) -> None:
    rep = api.as_("org_representative", org=BRYGGAN)
    made = await api.call(
        "POST", "/v1/webhooks/endpoints", who=rep, expect=201, json=new_endpoint(receiver.port)
    )
    endpoint = f"/v1/webhooks/endpoints/{made['id']}"
    test = await api.call("POST", f"{endpoint}/test", who=rep, expect=202)
    assert test["topic"] == "webhook.test" and test["status"] == "pending"

    clock = Clock()
    settings = api.settings
    worker = WebhookDeliverer(pool=pool, settings=settings, clock=clock, random=lambda: 0.5, resolve=resolver)
    receiver.plan = [(500, {})]
    async with worker.session() as session:
        await worker.deliver_due(session)
        failed = await api.call("GET", f"{endpoint}/messages?status=pending", who=rep, expect=200)
        assert failed["items"][0]["last_status_code"] == 500
        await api.call("POST", f"{endpoint}/messages/{test['id']}/replay", who=rep, expect=202)
        await worker.deliver_due(session)
    [first, replayed] = receiver.got
    assert first.headers["webhook-id"] == replayed.headers["webhook-id"] == test["webhook_id"]
    Webhook(made["secret"]).verify(replayed.body, replayed.headers)
    detail = await api.call("GET", f"{endpoint}/messages/{test['id']}", who=rep, expect=200)
    assert detail["status"] == "succeeded"
    assert [a["status_code"] for a in detail["attempts_made"]] == [500, 200]
    assert all(a["duration_ms"] >= 0 for a in detail["attempts_made"])


async def test_replay_of_all_failures_in_a_time_range(
    api: Api, pool, resolver: Resolver, receiver: Receiver
) -> None:
    rep = api.as_("org_representative", org=BRYGGAN)
    made = await api.call(
        "POST", "/v1/webhooks/endpoints", who=rep, expect=201, json=new_endpoint(receiver.port)
    )
    endpoint = f"/v1/webhooks/endpoints/{made['id']}"
    for _ in range(3):
        await api.call("POST", f"{endpoint}/test", who=rep, expect=202)
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE webhook_messages SET status = 'failed', attempts = 8 WHERE endpoint_id = $1",
            uuid.UUID(made["id"]),
        )
    now = datetime.now(UTC)
    window = {
        "since": (now - timedelta(hours=1)).isoformat(),
        "until": (now + timedelta(minutes=1)).isoformat(),
    }
    earlier = {
        "since": (now - timedelta(hours=2)).isoformat(),
        "until": (now - timedelta(hours=1)).isoformat(),
    }
    assert (await api.call("POST", f"{endpoint}/replay-failed", who=rep, expect=202, json=earlier))[
        "count"
    ] == 0
    assert (await api.call("POST", f"{endpoint}/replay-failed", who=rep, expect=202, json=window))[
        "count"
    ] == 3
    backwards = {"since": window["until"], "until": window["since"]}
    refused = await api.call("POST", f"{endpoint}/replay-failed", who=rep, expect=409, json=backwards)
    assert "efter" in refused["detail"]
    pending = await api.call("GET", f"{endpoint}/messages?status=pending", who=rep, expect=200)
    assert pending["total"] == 3 and all(m["attempts"] == 0 for m in pending["items"])


async def test_rotation_is_shown_with_its_end_and_the_endpoint_can_be_turned_off_and_on(
    api: Api, receiver
) -> None:
    rep = api.as_("org_representative", org=BRYGGAN)
    made = await api.call(
        "POST", "/v1/webhooks/endpoints", who=rep, expect=201, json=new_endpoint(receiver.port)
    )
    endpoint = f"/v1/webhooks/endpoints/{made['id']}"
    rotated = await api.call("POST", f"{endpoint}/rotate-secret", who=rep, expect=200)
    assert rotated["secret"] != made["secret"]
    until = datetime.fromisoformat(rotated["previous_secret_until"])
    assert timedelta(hours=23, minutes=59) < until - datetime.now(UTC) <= timedelta(hours=24)
    off = await api.call("PATCH", endpoint, who=rep, expect=200, json={"enabled": False})
    assert off["enabled"] is False and off["disabled_reason"]
    on = await api.call(
        "PATCH", endpoint, who=rep, expect=200, json={"enabled": True, "topics": ["minutes.published"]}
    )
    assert on["enabled"] is True and on["topics"] == ["minutes.published"]
    await api.call("DELETE", endpoint, who=rep, expect=204)
    await api.call("GET", endpoint, who=rep, expect=404)


async def test_an_empty_form_is_answered_in_swedish_with_what_to_write(api: Api) -> None:
    rep = api.as_("org_representative", org=BRYGGAN)
    refused = await api.call("POST", "/v1/webhooks/endpoints", who=rep, expect=422, json={})
    assert refused["detail"].startswith("Skriv mottagarens webbadress")
