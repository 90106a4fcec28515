"""The delivery worker: sends due webhook messages, signed per attempt, and records what happened.

A pass leases a batch of due messages in a short transaction (no row stays locked while HTTP
talks), sends them concurrently, and records every outcome of the batch in one transaction. A
worker that dies before it records gives its messages back when the lease ends, and they are sent
again with the same `webhook-id`: webhooks are at least once, and receivers drop copies by that id.

A 2xx answer is a success. Anything else is a failure, retried on the schedule (schedule.py) with
the receiver's Retry-After honoured; redirects are not followed. `410 Gone`, or five days of
failures without one success, disables the endpoint and emails its contact.
"""

from __future__ import annotations

import asyncio
import random as random_numbers
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg

from backbone.logs import get_logger
from backbone.workers import Backoff, run_forever
from notify.mailing import queue_email
from notify.rendering import render
from notify.settings import Settings
from notify.webhooks.endpoints import signing_secrets
from notify.webhooks.guard import AddressRefused, GuardedResolver, Resolve, check_literal_host, system_resolve
from notify.webhooks.log import webhook_id
from notify.webhooks.schedule import DISABLE_AFTER_SECONDS, parse_retry_after, wait_after_failure
from notify.webhooks.sealing import SECRETS_UNOPENED, SealingKeyProblem
from notify.webhooks.signing import signed_headers
from notify.webhooks.store import WEBHOOKS_QUEUED, q

log = get_logger(__name__)

Clock = Callable[[], datetime]
USER_AGENT = "Delaktig-Webhooks/1"
DISABLED_TEMPLATE = "webhook_endpoint_disabled"
GONE_REASON = "Mottagaren svarade 410 Gone: adressen finns inte längre."
FAILING_REASON = "Ingen leverans har lyckats på fem dagar."


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Outcome:
    message_id: uuid.UUID
    endpoint_id: uuid.UUID
    attempts_before: int
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int
    retry_after: float | None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def gone(self) -> bool:
        return self.status_code == 410


class WebhookDeliverer:
    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        settings: Settings,
        clock: Clock = utc_now,
        random: Callable[[], float] = random_numbers.random,
        resolve: Resolve = system_resolve,
    ) -> None:
        self._pool = pool
        self._settings = settings
        self._clock = clock
        self._random = random
        self._resolve = resolve
        self._allow_private = settings.webhooks_allow_private
        self._box = settings.webhook_secret_box

    def session(self) -> aiohttp.ClientSession:
        """The HTTP client: connects only to addresses the guard checked, never through a proxy."""
        connector = aiohttp.TCPConnector(
            resolver=GuardedResolver(self._resolve, allow_private=self._allow_private),
            limit=self._settings.webhooks_concurrency,
            # Resolve (and check) for every new connection, not from a cache filled earlier.
            use_dns_cache=False,
        )
        return aiohttp.ClientSession(
            connector=connector,
            trust_env=False,
            timeout=aiohttp.ClientTimeout(total=self._settings.webhooks_timeout_seconds),
            headers={"User-Agent": USER_AGENT},
        )

    async def run(self) -> None:
        async with self.session() as session:
            loops = self._settings.webhooks_loops
            await asyncio.gather(*(self._loop(session, f"webhook-deliverer-{n}") for n in range(loops)))

    async def _loop(self, session: aiohttp.ClientSession, name: str) -> None:
        # Several loops, so one batch's slowest receiver (up to the timeout) holds up only its own
        # batch, and the next batch is sent while the last one's outcomes are written.
        with WEBHOOKS_QUEUED.listen(max_wait=1.0) as listener:

            async def step() -> None:
                found = await self.deliver_due(session)
                await listener.wait(found_work=found > 0)

            await run_forever(step, name=name, backoff=Backoff(0.5, 10.0))

    async def prune(self) -> int:
        """Delete delivered and failed messages older than the retention, with their attempts; how many."""
        before = self._clock() - timedelta(seconds=self._settings.webhooks_retention_seconds)
        async with self._pool.acquire() as conn:
            status = await q.prune_messages.execute(conn, before=before)
        return int(status.split()[-1])

    async def deliver_due(self, session: aiohttp.ClientSession) -> int:
        """One pass: lease a batch of due messages, send them, record the outcomes; how many were tried."""
        token = uuid.uuid4()
        async with self._pool.acquire() as conn:
            rows = await q.claim_due_messages.fetch(
                conn,
                now=self._clock(),
                lease_seconds=self._settings.webhooks_lease_seconds,
                lease_token=token,
                limit=self._settings.webhooks_batch_size,
            )
        if not rows:
            return 0
        # One row's surprise must not sink the batch: the others were sent, and their outcomes are
        # recorded; left unrecorded, the whole batch would be sent again every lease, forever.
        results = await asyncio.gather(*(self._attempt(session, row) for row in rows), return_exceptions=True)
        outcomes = [
            self._unexpected(row, result) if isinstance(result, BaseException) else result
            for row, result in zip(rows, results, strict=True)
        ]
        await self._record(outcomes, token)
        return len(rows)

    def _unexpected(self, row: Any, exc: BaseException) -> Outcome:
        if not isinstance(exc, Exception):
            raise exc  # cancelled: the lease gives the batch back
        log.error(
            "webhook attempt failed unexpectedly",
            message_id=str(row["id"]),
            endpoint_id=str(row["endpoint_id"]),
            exc_info=exc,
        )
        error = f"Internt fel i Delaktig ({type(exc).__name__}). Vi försöker igen enligt schemat."
        return self._outcome(row, self._clock(), error=error)

    def _outcome(
        self,
        row: Any,
        at: datetime,
        *,
        status: int | None = None,
        error: str | None = None,
        started: float | None = None,
        retry_after: float | None = None,
    ) -> Outcome:
        return Outcome(
            message_id=row["id"],
            endpoint_id=row["endpoint_id"],
            attempts_before=row["attempts"],
            attempted_at=at,
            status_code=status,
            error=error[:1000] if error else None,
            duration_ms=0 if started is None else int((time.monotonic() - started) * 1000),
            retry_after=retry_after,
        )

    async def _attempt(self, session: aiohttp.ClientSession, row: Any) -> Outcome:
        at = self._clock()
        body: str = row["body"]
        try:
            secrets = signing_secrets(row, at, endpoint_id=row["endpoint_id"], box=self._box)
        except SealingKeyProblem as problem:
            # Nothing goes out unsigned: a failed attempt, on the schedule and counted towards
            # disabling, with what an administrator must do in the delivery log.
            SECRETS_UNOPENED.inc()
            log.error(
                "webhook secret cannot be opened: message not sent",
                message_id=str(row["id"]),
                endpoint_id=str(row["endpoint_id"]),
                key=problem.key_id,
                problem=str(problem),
            )
            return self._outcome(row, at, error=_unopened_error(problem))
        headers = signed_headers(message_id=webhook_id(row["id"]), at=at, body=body, secrets=secrets)
        headers["Content-Type"] = "application/json"
        status: int | None = None
        error: str | None = None
        retry_after: float | None = None
        started = time.monotonic()
        try:
            check_literal_host(row["url"], allow_private=self._allow_private)
            async with session.post(
                row["url"], data=body.encode(), headers=headers, allow_redirects=False
            ) as resp:
                status = resp.status
                retry_after = parse_retry_after(resp.headers.get("Retry-After"), now=at)
                # A little of the answer, so the connection can be used again; the rest is not ours to read.
                await resp.content.read(4096)
            if not 200 <= status < 300:
                error = f"Mottagaren svarade {status}."
        except AddressRefused as exc:
            error = str(exc)
        except TimeoutError:
            error = f"Inget svar inom {self._settings.webhooks_timeout_seconds:g} sekunder."
        except aiohttp.ClientConnectorError as exc:
            # The guard's refusal at connection time arrives here, as the resolver's OSError.
            error = f"Kunde inte ansluta: {exc.os_error}"
        except (aiohttp.ClientError, OSError) as exc:
            error = f"Anslutningen bröts: {type(exc).__name__}."
        return self._outcome(row, at, status=status, error=error, started=started, retry_after=retry_after)

    async def _record(self, outcomes: list[Outcome], token: uuid.UUID) -> None:
        now = self._clock()
        async with self._pool.acquire() as conn, conn.transaction():
            await q.insert_attempt.executemany(
                conn,
                [
                    {
                        "message_id": o.message_id,
                        "attempted_at": o.attempted_at,
                        "status_code": o.status_code,
                        "error": o.error,
                        "duration_ms": o.duration_ms,
                    }
                    for o in outcomes
                ],
            )
            succeeded = [o for o in outcomes if o.succeeded]
            await q.mark_succeeded.executemany(
                conn,
                [
                    {"id": o.message_id, "lease_token": token, "now": now, "status_code": o.status_code}
                    for o in succeeded
                ],
            )
            if succeeded:
                await q.endpoints_succeeded.execute(conn, ids=sorted({o.endpoint_id for o in succeeded}))
            for outcome in outcomes:
                if not outcome.succeeded:
                    await self._failed(conn, outcome, token, now)

    async def _failed(
        self, conn: asyncpg.Connection, outcome: Outcome, token: uuid.UUID, now: datetime
    ) -> None:
        wait = (
            None
            if outcome.gone
            else wait_after_failure(
                outcome.attempts_before + 1, retry_after=outcome.retry_after, random=self._random
            )
        )
        await q.mark_failed.execute(
            conn,
            id=outcome.message_id,
            lease_token=token,
            now=now,
            wait_seconds=wait,
            status_code=outcome.status_code,
            error=outcome.error,
        )
        failing_since = await q.endpoint_failed.fetchval(conn, id=outcome.endpoint_id, now=now)
        if outcome.gone:
            await self._disable(conn, outcome.endpoint_id, GONE_REASON, now)
        elif failing_since is not None and (now - failing_since).total_seconds() >= DISABLE_AFTER_SECONDS:
            await self._disable(conn, outcome.endpoint_id, FAILING_REASON, now)

    async def _disable(
        self, conn: asyncpg.Connection, endpoint_id: uuid.UUID, reason: str, now: datetime
    ) -> None:
        endpoint = await q.disable_endpoint.fetchrow(conn, id=endpoint_id, reason=reason, now=now)
        if endpoint is None:
            return  # disabled already: its contact was told then
        log.warning("webhook endpoint disabled", endpoint_id=str(endpoint_id), reason=reason)
        settings = self._settings
        await queue_email(
            conn=conn,
            # One email per disabling: derived from the endpoint and the moment it was disabled.
            cause_event_id=str(uuid.uuid5(endpoint_id, f"disabled:{endpoint['disabled_at'].isoformat()}")),
            template=DISABLED_TEMPLATE,
            recipient=endpoint["contact_email"],
            rendered=render(
                DISABLED_TEMPLATE,
                {"url": endpoint["url"], "reason": reason, "public_url": settings.public_url},
                timezone=settings.timezone,
            ),
            mail_domain=settings.mail_domain,
            message_key=settings.link_key,
        )


def _unopened_error(problem: SealingKeyProblem) -> str:
    key = f" (nyckel {problem.key_id!r})" if problem.key_id else ""
    return (
        f"Webhookens hemlighet kan inte öppnas{key}, så meddelandet skickades inte. En administratör "
        "behöver lägga tillbaka nyckeln i NOTIFY_WEBHOOKS_SECRET_KEYS, eller så byter ni hemlighet."
    )
