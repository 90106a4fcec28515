"""What notify forgets with time besides emails (sending.py prunes those): permanent bounces after
`NOTIFY_BOUNCE_RETENTION_SECONDS`, and its consumer's dead letters an administrator dealt with
after `NOTIFY_DEAD_LETTER_RETENTION_SECONDS`. Run by the prune loop (app.py)."""

from __future__ import annotations

import asyncpg

from backbone.deadletter_admin import prune_dead_letters
from backbone.logs import get_logger
from notify.deliveries import q
from notify.settings import Settings

log = get_logger(__name__)


async def prune(pool: asyncpg.Pool, settings: Settings) -> None:
    async with pool.acquire() as conn:
        done = await q.forget_old_bounces.execute(conn, older_than_seconds=settings.bounce_retention_seconds)
    bounces = int(done.rsplit(" ", 1)[-1])
    letters = await prune_dead_letters(pool, older_than_seconds=settings.dead_letter_retention_seconds)
    if bounces or letters:
        log.info("forgot old bounces and dead letters", bounces=bounces, dead_letters=letters)
