"""Pools, volunteers and requests made through the API, for the core's integration tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from .conftest import Client

ADMIN = ("administrator",)
COORDINATOR = ("pool_coordinator",)
STAFF = ("staff",)


def in_days(days: int, hour: int = 9) -> datetime:
    """A time `days` ahead, on the hour, in UTC (tests need it in the future: requests must be)."""
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return (now + timedelta(days=days)).replace(hour=hour)


async def a_pool(client: Client, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "key": f"pool-{uuid.uuid4().hex[:8]}",
        "name": "Rekryteringspanel",
        "coordinator_name": "Kim Samordnare",
        "monthly_cap": 4,
        "offer_hours": 48,
        "requirements": [
            {
                "key": "belastningsregister",
                "kind": "certificate",
                "label": "Utdrag ur belastningsregistret",
                "expires": True,
            },
            {"key": "intervjuteknik", "kind": "training", "label": "Intervjuteknik"},
        ],
    } | overrides
    return await client.post("/v1/pools", body, as_=ADMIN)  # type: ignore[no-any-return]


async def a_volunteer(
    client: Client,
    pool: dict[str, Any],
    *,
    name: str | None = None,
    certificate_until: datetime | None = None,
    consent: bool = True,
    **profile: Any,
) -> dict[str, Any]:
    """An active member of `pool` who meets its requirements (the certificate until a year from now
    unless told), and consents to offers."""
    body = {
        "name": name or f"Volontär {uuid.uuid4().hex[:4]}",
        "email": f"v-{uuid.uuid4().hex[:8]}@example.se",
        "pools": [{"pool_id": pool["id"], "status": "active"}],
    } | profile
    person = await client.post("/v1/volunteers", body, as_=ADMIN)
    until = (certificate_until or in_days(365)).date()
    for requirement in pool["requirements"]:
        await client.post(
            f"/v1/volunteers/{person['id']}/qualifications",
            {
                "key": requirement["key"],
                "kind": requirement["kind"],
                "completed_on": "2025-01-01",
                "expires_on": until.isoformat() if requirement["expires"] else None,
            },
            as_=ADMIN,
        )
    if consent:
        await client.post(
            f"/v1/volunteers/{person['id']}/consents",
            {"purpose": "erbjudanden", "text_version": "2026-1", "given_how": "form"},
            as_=ADMIN,
        )
    return person  # type: ignore[no-any-return]


async def a_request(
    client: Client,
    pool: dict[str, Any],
    *,
    as_: tuple[str, ...] = STAFF,
    subject: str = "staff-sara",
    **overrides: Any,
) -> dict[str, Any]:
    starts = overrides.pop("starts_at", in_days(10))
    body = {
        "pool_id": pool["id"],
        "seats": 1,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "place": "Stadshuset, rum 4",
        "needs": "Intervju för tjänst som socialsekreterare",
    } | {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in overrides.items()}
    return await client.post("/v1/requests", body, as_=as_, subject=subject)  # type: ignore[no-any-return]


async def offers_sent(client: Client, request_id: str) -> list[dict[str, Any]]:
    return [e for e in await client.outbox("volunteers.offer.sent.v1") if e["request_id"] == request_id]


async def token_of(client: Client, request_id: str, volunteer_id: str, action: str = "accept") -> str:
    for event in await offers_sent(client, request_id):
        if event["volunteer_id"] == volunteer_id:
            return event[f"{action}_token"]  # type: ignore[no-any-return]
    raise AssertionError(f"no offer of {request_id} was sent to {volunteer_id}")
