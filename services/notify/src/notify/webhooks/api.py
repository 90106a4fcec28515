"""HTTP routes of the webhooks: endpoints, secrets, the delivery log, replays and test events.

Organisation representatives manage their own organisation's endpoints; administrators (and the
system) every organisation's. Refusals are in Swedish: the pages show them as they are.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse

from backbone.access import ADMINISTRATOR, ORG_REPRESENTATIVE, SYSTEM
from backbone.dependencies import ConnDep
from backbone.errors import ERRORS
from backbone.identity import Identity, require_roles
from backbone.paging import Limit, Offset, Page
from backbone.runtime import Runtime
from backbone.workers import run_forever
from notify.settings import Settings
from notify.webhooks import endpoints, log
from notify.webhooks.delivery import WebhookDeliverer
from notify.webhooks.endpoints import Guard, InvalidEndpoint
from notify.webhooks.guard import AddressRefused, system_resolve
from notify.webhooks.schemas import (
    AttemptPublic,
    EndpointCreate,
    EndpointPublic,
    EndpointUpdate,
    EndpointWithSecret,
    MessageDetail,
    MessagePublic,
    Replayed,
    ReplayFailed,
    Topic,
)
from notify.webhooks.sealing import reseal_stored_secrets
from notify.webhooks.topics import TOPICS

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"], responses=ERRORS)

# Who sees every organisation's endpoints; representatives see their own organisation's.
SEES_ALL = (ADMINISTRATOR, SYSTEM)
Manager = Annotated[Identity, require_roles(ORG_REPRESENTATIVE, *SEES_ALL)]


def scope_of(identity: Identity) -> uuid.UUID | None:
    """None for those who see every organisation; the representative's own organisation otherwise."""
    if identity.has_role(*SEES_ALL):
        return None
    try:
        return uuid.UUID(str(identity.organisation_id))
    except ValueError:
        raise HTTPException(
            status_code=403,
            detail="Ditt konto hör inte till någon organisation, så du kan inte hantera webhooks. "
            "Be en administratör koppla kontot till din organisation.",
        ) from None


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.runtime.settings
    return settings


def guard_of(request: Request) -> Guard:
    # Tests put a stub resolver here; otherwise the system's.
    resolve = getattr(request.app.state, "webhook_resolve", None) or system_resolve
    return Guard(resolve=resolve, allow_private=_settings(request).webhooks_allow_private)


def now() -> datetime:
    return datetime.now(UTC)


def _message(row: Any) -> MessagePublic:
    return MessagePublic(
        id=row["id"],
        webhook_id=log.webhook_id(row["id"]),
        topic=row["topic"],
        cause_event_id=row["cause_event_id"],
        status=row["status"],
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"] if row["status"] == "pending" else None,
        last_status_code=row["last_status_code"],
        last_error=row["last_error"],
        last_attempt_at=row["last_attempt_at"],
        created_at=row["created_at"],
        succeeded_at=row["succeeded_at"],
    )


@router.get("/topics")
async def list_topics(_identity: Manager) -> list[Topic]:
    return [Topic(topic=topic, label=label) for topic, label in TOPICS.items()]


@router.get("/endpoints")
async def list_endpoints(
    conn: ConnDep,
    identity: Manager,
    limit: Limit = 50,
    offset: Offset = 0,
    organisation_id: uuid.UUID | None = None,
) -> Page[EndpointPublic]:
    scope = scope_of(identity)
    if scope is None:
        scope = organisation_id  # an administrator may narrow the list to one organisation
    rows, total = await endpoints.list_page(conn=conn, scope=scope, limit=limit, offset=offset)
    at = now()
    return Page(items=[EndpointPublic.of(r, at) for r in rows], total=total, limit=limit, offset=offset)


@router.post("/endpoints", status_code=201)
async def register_endpoint(
    body: EndpointCreate, conn: ConnDep, identity: Manager, request: Request
) -> EndpointWithSecret:
    scope = scope_of(identity)
    if scope is not None:
        if body.organisation_id is not None and body.organisation_id != scope:
            raise HTTPException(
                status_code=403, detail="Du kan bara lägga till webhooks för din egen organisation."
            )
        organisation_id = scope
    elif body.organisation_id is None:
        raise HTTPException(
            status_code=422, detail="Ange vilken organisation webhooken hör till (organisation_id)."
        )
    else:
        organisation_id = body.organisation_id
    at = now()
    row = await endpoints.register(
        conn=conn,
        organisation_id=organisation_id,
        url=body.url,
        topics=body.topics,
        description=body.description,
        contact_email=body.contact_email,
        created_by=identity.subject,
        now=at,
        guard=guard_of(request),
        box=_settings(request).webhook_secret_box,
    )
    return EndpointWithSecret(**EndpointPublic.of(row, at).model_dump(), secret=row["secret"])


@router.get("/endpoints/{endpoint_id}")
async def get_endpoint(endpoint_id: uuid.UUID, conn: ConnDep, identity: Manager) -> EndpointPublic:
    row = await endpoints.get(conn=conn, endpoint_id=endpoint_id, scope=scope_of(identity))
    return EndpointPublic.of(row, now())


@router.patch("/endpoints/{endpoint_id}")
async def change_endpoint(
    endpoint_id: uuid.UUID, body: EndpointUpdate, conn: ConnDep, identity: Manager, request: Request
) -> EndpointPublic:
    at = now()
    row = await endpoints.change(
        conn=conn,
        endpoint_id=endpoint_id,
        scope=scope_of(identity),
        changes=body.model_dump(exclude_unset=True),
        now=at,
        guard=guard_of(request),
    )
    return EndpointPublic.of(row, at)


@router.delete("/endpoints/{endpoint_id}", status_code=204)
async def remove_endpoint(endpoint_id: uuid.UUID, conn: ConnDep, identity: Manager) -> Response:
    await endpoints.remove(conn=conn, endpoint_id=endpoint_id, scope=scope_of(identity))
    return Response(status_code=204)


@router.post("/endpoints/{endpoint_id}/rotate-secret")
async def rotate_secret(
    endpoint_id: uuid.UUID, conn: ConnDep, identity: Manager, request: Request
) -> EndpointWithSecret:
    at = now()
    overlap = timedelta(seconds=_settings(request).webhooks_secret_overlap_seconds)
    row = await endpoints.rotate_secret(
        conn=conn,
        endpoint_id=endpoint_id,
        scope=scope_of(identity),
        now=at,
        overlap=overlap,
        box=_settings(request).webhook_secret_box,
    )
    return EndpointWithSecret(**EndpointPublic.of(row, at).model_dump(), secret=row["secret"])


@router.post("/endpoints/{endpoint_id}/test", status_code=202)
async def send_test_event(endpoint_id: uuid.UUID, conn: ConnDep, identity: Manager) -> MessagePublic:
    row = await log.send_test(conn=conn, endpoint_id=endpoint_id, scope=scope_of(identity), now=now())
    return _message(row)


@router.get("/endpoints/{endpoint_id}/messages")
async def list_messages(
    endpoint_id: uuid.UUID,
    conn: ConnDep,
    identity: Manager,
    limit: Limit = 50,
    offset: Offset = 0,
    status: Annotated[str | None, Query(description="pending, succeeded or failed")] = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page[MessagePublic]:
    rows, total = await log.messages(
        conn=conn,
        endpoint_id=endpoint_id,
        scope=scope_of(identity),
        status=status,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )
    return Page(items=[_message(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/endpoints/{endpoint_id}/messages/{message_id}")
async def get_message(
    endpoint_id: uuid.UUID, message_id: uuid.UUID, conn: ConnDep, identity: Manager
) -> MessageDetail:
    row, attempts = await log.message(
        conn=conn, endpoint_id=endpoint_id, message_id=message_id, scope=scope_of(identity)
    )
    return MessageDetail(
        **_message(row).model_dump(),
        body=row["body"],
        attempts_made=[AttemptPublic(**dict(a)) for a in attempts],
    )


@router.post("/endpoints/{endpoint_id}/messages/{message_id}/replay", status_code=202)
async def replay_message(
    endpoint_id: uuid.UUID, message_id: uuid.UUID, conn: ConnDep, identity: Manager
) -> MessagePublic:
    row = await log.replay(
        conn=conn, endpoint_id=endpoint_id, message_id=message_id, scope=scope_of(identity), now=now()
    )
    return _message(row)


@router.post("/endpoints/{endpoint_id}/replay-failed", status_code=202)
async def replay_failed(
    endpoint_id: uuid.UUID, body: ReplayFailed, conn: ConnDep, identity: Manager
) -> Replayed:
    count = await log.replay_failed(
        conn=conn,
        endpoint_id=endpoint_id,
        scope=scope_of(identity),
        since=body.since,
        until=body.until,
        now=now(),
    )
    return Replayed(count=count)


def install(app: FastAPI, runtime: Runtime, settings: Settings) -> None:
    """The webhook routes, their refusals of bad input as 422, and the delivery worker."""

    async def invalid(_request: Request, exc: Exception) -> JSONResponse:
        message = str(exc)
        detail = message if message.endswith(".") else message + "."
        # Which field to correct, in the shape of every 422 (backbone.errors.InvalidBody).
        field = getattr(exc, "field", "url")
        errors = [{"field": field, "message": detail}]
        return JSONResponse(
            status_code=422, content={"detail": detail, "error": type(exc).__name__, "errors": errors}
        )

    app.add_exception_handler(InvalidEndpoint, invalid)
    app.add_exception_handler(AddressRefused, invalid)
    app.include_router(router)
    runtime.add_worker(
        "webhook-deliverer", lambda: WebhookDeliverer(pool=runtime.pool, settings=settings).run()
    )

    async def prune() -> None:
        await WebhookDeliverer(pool=runtime.pool, settings=settings).prune()

    async def reseal() -> None:
        await reseal_stored_secrets(runtime.pool, settings.webhook_secret_box)

    # Secrets from before migration 0013, or sealed under a key since replaced, are sealed anew:
    # at start, then every `webhooks_reseal_seconds`.
    runtime.add_worker(
        "webhook-reseal",
        lambda: run_forever(
            reseal, name="webhook-reseal", every=settings.webhooks_reseal_seconds, expected=(Exception,)
        ),
    )

    # A failed round is a warning; the next round, one interval later, tries again.
    runtime.add_worker(
        "webhook-prune",
        lambda: run_forever(
            prune, name="webhook-prune", every=settings.prune_interval_seconds, expected=(Exception,)
        ),
    )
