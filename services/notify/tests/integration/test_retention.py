"""What notify forgets with time besides emails: permanent bounces after NOTIFY_BOUNCE_RETENTION_SECONDS,
and dead letters an administrator dealt with after NOTIFY_DEAD_LETTER_RETENTION_SECONDS."""

from __future__ import annotations

import pytest

from backbone.db import create_pool
from backbone.queries import backbone_queries as bq
from notify.retention import prune
from notify.settings import DAY, MIGRATIONS_DIR, Settings


@pytest.fixture
async def pool(make_database):
    p = await create_pool(make_database("notify", MIGRATIONS_DIR))
    yield p
    await p.close()


async def _letter(conn, seq: int, *, status: str, days_ago: int) -> None:
    await bq.record_dead_letter.execute(
        conn, consumer="notify", stream="EVENTS", stream_seq=seq, subject="events.reminder.due.v1",
        headers={}, data=f'{{"n": {seq}}}'.encode(), reason="broken", delivery_count=5,
    )
    await conn.execute(
        "UPDATE dead_letters SET status = $2, dead_lettered_at = now() - make_interval(days => $3),"
        " resolved_at = CASE WHEN $2 IN ('replayed', 'discarded') THEN now() - make_interval(days => $3) END"
        " WHERE stream_seq = $1",
        seq, status, days_ago,
    )


async def test_old_bounces_and_old_dealt_with_dead_letters_are_forgotten_open_ones_stay(pool):
    settings = Settings(
        environment="test", bounce_retention_seconds=180 * DAY, dead_letter_retention_seconds=30 * DAY
    )
    async with pool.acquire() as conn:
        for address, days_ago in (("old@example.se", 200), ("recent@example.se", 10)):
            await conn.execute(
                "INSERT INTO bounced_addresses (address, status, reason, bounced_at)"
                " VALUES ($1, '5.1.1', 'gone', now() - make_interval(days => $2))",
                address, days_ago,
            )
        await _letter(conn, 1, status="replayed", days_ago=40)
        await _letter(conn, 2, status="discarded", days_ago=40)
        await _letter(conn, 3, status="replayed", days_ago=5)
        await _letter(conn, 4, status="open", days_ago=400)  # waits for an administrator

    await prune(pool, settings)
    await prune(pool, settings)  # nothing more the second time

    async with pool.acquire() as conn:
        bounced = [r["address"] for r in await conn.fetch("SELECT address FROM bounced_addresses")]
        rows = await conn.fetch("SELECT stream_seq FROM dead_letters ORDER BY 1")
    letters = [r["stream_seq"] for r in rows]
    assert bounced == ["recent@example.se"]
    assert letters == [3, 4]


def test_the_retentions_are_settings_with_sound_defaults() -> None:
    settings = Settings(environment="test")
    assert settings.bounce_retention_seconds == 365 * DAY
    assert settings.dead_letter_retention_seconds == 90 * DAY
    with pytest.raises(ValueError):
        Settings(environment="test", bounce_retention_seconds=0)
