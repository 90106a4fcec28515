"""Matching in SQL against its specification: on generated pools of people and requests, the
database's page (candidates.match_request) is the pure rules' page (matching.match over the same
members read as Candidates): the same eligible in the same order, the same excluded with the same
reason codes and sentences, the same counts per reason and totals, for any page and reason asked."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from backbone.settings import ServiceSettings
from volunteers import candidates, matching
from volunteers.model import OFFERS_PURPOSE

ZONE = ZoneInfo(ServiceSettings.model_fields["timezone"].default)
REQUIREMENTS = (
    ("belastningsregister", "certificate", "Utdrag ur belastningsregistret", True),
    ("intervjuteknik", "training", "Intervjuteknik", False),
    ("tystnadsplikt", "agreement", "Tystnadsplikt", False),
)
LANGUAGES = ("sv", "ar", "en")
AREAS = ("kronan", "centrum", "norr")
UNITS = ("Kronans boende", "Centrumhuset")
# Few names, so that ties in name order are decided by the id, as both sides say.
NAMES = ("Ada", "Bo", "Åsa", "Örjan", "Eva", "Ali", "Zoë")


class World:
    """One generated pool, its members and one request to match, written into the tables."""

    def __init__(self, rng: random.Random, request_starts: datetime) -> None:
        self.rng = rng
        self.starts = request_starts
        self.ends = request_starts + timedelta(minutes=rng.choice((60, 120, 150, 6 * 60)))
        self.pool_id, self.other_pool_id, self.request_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        self.rows: dict[str, list[tuple[Any, ...]]] = {
            "volunteers": [],
            "pool_memberships": [],
            "qualifications": [],
            "consents": [],
            "availability_weekly": [],
            "availability_exceptions": [],
            "requests": [],
            "assignments": [],
            "offers": [],
        }

    def day(self, days: float) -> datetime:
        return self.starts + timedelta(days=days)

    def _assignment(self, volunteer_id: uuid.UUID, pool_id: uuid.UUID, starts: datetime, status: str) -> None:
        request_id = uuid.uuid4()
        ends = starts + timedelta(hours=2)
        self.rows["requests"].append((request_id, pool_id, starts, ends, "filled"))
        self.rows["assignments"].append(
            (uuid.uuid4(), volunteer_id, request_id, pool_id, starts, ends, status)
        )

    def person(self, n: int, requirements: list[tuple[str, str, str, bool]]) -> None:
        rng, volunteer_id = self.rng, uuid.uuid4()
        # Half the people are made to be eligible as far as their own records go (the counts, a clash
        # or the cap may still exclude them), so that the ranked list is long enough to check its order.
        good = rng.random() < 0.5
        self.rows["volunteers"].append(
            (
                volunteer_id,
                f"{rng.choice(NAMES)} {n % 3}",
                "active" if good else rng.choice(("active",) * 8 + ("paused",)),
                list(LANGUAGES) if good else sorted(rng.sample(LANGUAGES, rng.randint(1, 2))),
                [] if good else sorted(rng.sample(AREAS, rng.choice((0, 0, 1, 2)))),
                [] if good else sorted(rng.sample(UNITS, rng.choice((0, 0, 0, 1)))),
            )
        )
        membership = "active" if good else rng.choice(("active",) * 8 + ("applied", "paused", "left"))
        self.rows["pool_memberships"].append((uuid.uuid4(), self.pool_id, volunteer_id, membership))
        if good or rng.random() < 0.85:
            self.rows["consents"].append((uuid.uuid4(), volunteer_id, OFFERS_PURPOSE, None))
        elif rng.random() < 0.5:
            self.rows["consents"].append((uuid.uuid4(), volunteer_id, OFFERS_PURPOSE, self.day(-30)))
        request_day = self.starts.astimezone(ZONE).date()
        for key, kind, _label, _expires in requirements:
            if good:
                self.rows["qualifications"].append(
                    (uuid.uuid4(), volunteer_id, key, kind, request_day - timedelta(days=100),
                     request_day + timedelta(days=100))
                )  # fmt: skip
                continue
            for _ in range(rng.choice((0, 1, 1, 1, 2))):
                completed = request_day + timedelta(days=rng.choice((-400, -30, -1, 0, 1, 20)))
                expires = rng.choice((None, 0, 1, -1, 200))
                self.rows["qualifications"].append(
                    (
                        uuid.uuid4(),
                        volunteer_id,
                        key,
                        kind,
                        completed,
                        None if expires is None else max(completed, request_day + timedelta(days=expires)),
                    )
                )
        if not good and rng.random() < 0.5:
            for weekday in rng.sample(range(1, 8), rng.randint(1, 3)):
                opens = rng.choice((6, 8, 9, 10, 13))
                self.rows["availability_weekly"].append(
                    (
                        uuid.uuid4(),
                        volunteer_id,
                        weekday,
                        time(opens),
                        time(min(23, opens + rng.choice((2, 4, 9)))),
                    )
                )
        for _ in range(0 if good else rng.choice((0, 0, 1, 2))):
            starts = self.starts + timedelta(hours=rng.choice((-48, -3, -1, 0, 1, 30)))
            ends = starts + timedelta(hours=rng.choice((1, 2, 5, 50)))
            self.rows["availability_exceptions"].append(
                (
                    uuid.uuid4(),
                    volunteer_id,
                    starts,
                    ends,
                    rng.random() < 0.4,
                    rng.choice(("", "semester", "sjuk")),
                )
            )
        # Past work in the pool on days that never overlap (1 to 400 days back), some of it cancelled,
        # some in the request's own month; work in another pool; then what holds them at its time.
        for back in sorted(rng.sample(range(1, 400), rng.randint(0, 3 if good else 8))):
            status = rng.choice(("completed", "completed", "confirmed", "cancelled"))
            self._assignment(volunteer_id, self.pool_id, self.day(-back), status)
        if rng.random() < 0.3:
            self._assignment(volunteer_id, self.other_pool_id, self.day(rng.choice((-5.5, 3))), "confirmed")
        held = (
            "free" if good else rng.choice(("free",) * 6 + ("busy", "busy_later", "cancelled_clash", "here"))
        )
        if held == "busy":
            self._assignment(volunteer_id, self.other_pool_id, self.starts - timedelta(hours=1), "confirmed")
        elif held == "busy_later":
            self._assignment(volunteer_id, self.pool_id, self.starts + timedelta(minutes=30), "confirmed")
        elif held == "cancelled_clash":
            self._assignment(volunteer_id, self.pool_id, self.starts, "cancelled")
        elif held == "here":
            self.rows["assignments"].append(
                (uuid.uuid4(), volunteer_id, self.request_id, self.pool_id, self.starts, self.ends,
                 rng.choice(("confirmed", "cancelled")))
            )  # fmt: skip
        offer = (
            None
            if good
            else rng.choice((None,) * 6 + ("sent", "declined", "expired", "accepted", "withdrawn"))
        )
        if offer is not None:
            self.rows["offers"].append((uuid.uuid4(), self.request_id, volunteer_id, 1, offer, self.day(2)))

    async def write(
        self, conn: asyncpg.Connection, requirements: list[tuple[str, str, str, bool]], **request: Any
    ) -> dict[str, Any]:
        for pool_id, cap in ((self.pool_id, request["monthly_cap"]), (self.other_pool_id, 4)):
            await conn.execute(
                "INSERT INTO pools (id, key, name, monthly_cap) VALUES ($1, $2, 'Pool', $3)",
                pool_id,
                f"p-{pool_id.hex[:12]}",
                cap,
            )
        await conn.executemany(
            "INSERT INTO pool_requirements (id, pool_id, key, kind, label, expires)"
            " VALUES (gen_random_uuid(), $1, $2, $3, $4, $5)",
            [(self.pool_id, *r) for r in requirements],
        )
        await conn.executemany(
            "INSERT INTO volunteers (id, name, email, status, languages, areas, client_units)"
            " VALUES ($1, $2, 'v@example.se', $3, $4, $5, $6)",
            self.rows["volunteers"],
        )
        await conn.executemany(
            "INSERT INTO pool_memberships (id, pool_id, volunteer_id, status) VALUES ($1, $2, $3, $4)",
            self.rows["pool_memberships"],
        )
        await conn.executemany(
            "INSERT INTO qualifications (id, volunteer_id, key, kind, completed_on, expires_on)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            self.rows["qualifications"],
        )
        await conn.executemany(
            "INSERT INTO consents (id, volunteer_id, purpose, text_version, given_at, given_how,"
            " withdrawn_at, withdrawn_how) VALUES ($1, $2, $3, '1', now() - interval '1 year', 'form', $4,"
            " CASE WHEN $4::timestamptz IS NULL THEN NULL ELSE 'form' END)",
            self.rows["consents"],
        )
        await conn.executemany(
            "INSERT INTO availability_weekly (id, volunteer_id, weekday, starts, ends)"
            " VALUES ($1, $2, $3, $4, $5)",
            self.rows["availability_weekly"],
        )
        await conn.executemany(
            "INSERT INTO availability_exceptions (id, volunteer_id, starts_at, ends_at, available, note)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            self.rows["availability_exceptions"],
        )
        await conn.execute(
            "INSERT INTO requests (id, pool_id, seats, starts_at, ends_at, requested_by,"
            " language, area, unit) VALUES ($1, $2, 3, $3, $4, 'staff', $5, $6, $7)",
            self.request_id,
            self.pool_id,
            self.starts,
            self.ends,
            request["language"],
            request["area"],
            request["unit"],
        )
        await conn.executemany(
            "INSERT INTO requests (id, pool_id, seats, starts_at, ends_at, requested_by, status)"
            " VALUES ($1, $2, 1, $3, $4, 'staff', $5)",
            self.rows["requests"],
        )
        await conn.executemany(
            "INSERT INTO assignments (id, volunteer_id, request_id, pool_id, starts_at, ends_at, status)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7)",
            self.rows["assignments"],
        )
        await conn.executemany(
            "INSERT INTO offers (id, request_id, volunteer_id, rank, status, expires_at)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            self.rows["offers"],
        )
        row = await conn.fetchrow(
            "SELECT r.*, p.monthly_cap FROM requests r JOIN pools p ON p.id = r.pool_id WHERE r.id = $1",
            self.request_id,
        )
        return dict(row)


def _request_start(rng: random.Random) -> datetime:
    # Local times that fit the weekly slots or not, one late enough to run past midnight, and a day
    # near the end of a month (the month's count and the cap) or at the switch to summer time.
    day = rng.choice((date(2027, 3, 3), date(2027, 3, 28), date(2027, 1, 31), date(2027, 6, 14)))
    hour = rng.choice((7, 9, 10, 14, 22))
    return datetime.combine(day, time(hour), tzinfo=ZONE).astimezone(UTC)


def _pages(rng: random.Random, spec: matching.Result) -> list[matching.Page]:
    codes = [c.code for c in spec.by_reason]
    pages = [matching.Page(), matching.Page(ranked_limit=0, excluded_limit=0)]
    for _ in range(3):
        pages.append(
            matching.Page(
                ranked_limit=rng.choice((None, 1, 3, 10)),
                ranked_offset=rng.choice((0, 0, 2, 7)),
                excluded_limit=rng.choice((None, 1, 4)),
                excluded_offset=rng.choice((0, 0, 3)),
                reason=rng.choice([None, "busy", "requirement_missing:tystnadsplikt", *codes]),
            )
        )
    return pages


async def test_the_database_ranks_and_excludes_as_the_rules_say_on_generated_pools(
    conn: asyncpg.Connection,
) -> None:
    checked = excluded_seen = ranked_seen = 0
    codes_seen: set[str] = set()
    for seed in range(24):
        rng = random.Random(seed)
        world = World(rng, _request_start(rng))
        requirements = rng.sample(REQUIREMENTS, rng.randint(0, 3))
        for n in range(rng.randint(25, 45)):
            world.person(n, requirements)
        request = await world.write(
            conn,
            requirements,
            monthly_cap=rng.choice((1, 2, 3)),
            language=rng.choice((None, None, "ar", "en")),
            area=rng.choice((None, None, "kronan")),
            unit=rng.choice((None, "Kronans boende")),
        )
        window_days = rng.choice((30, 90))
        need = await candidates.need_of(conn, request, zone=ZONE, window_days=window_days)
        members = await candidates.candidates_for(conn, request, need)
        everything = matching.match(need, members)
        for page in _pages(rng, everything):
            expected = matching.match(need, members, page)
            found = await candidates.match_request(
                conn, request, zone=ZONE, window_days=window_days, page=page
            )
            assert found.ranked == expected.ranked, (seed, page)
            assert found.excluded == expected.excluded, (seed, page)
            assert (found.ranked_total, found.excluded_total) == (
                expected.ranked_total,
                expected.excluded_total,
            )
            assert found.by_reason == expected.by_reason, (seed, page)
            checked += 1
        ranked_seen += everything.ranked_total
        excluded_seen += everything.excluded_total
        codes_seen |= {matching.parse_name(c.code)[0] for c in everything.by_reason}
    # The generated pools reach every rule the list can show (a generator that made only eligible
    # people would check nothing); those who left the pool or were erased are never listed.
    assert ranked_seen > 200 and excluded_seen > 300, (ranked_seen, excluded_seen)
    assert codes_seen == matching.CODES - {"not_in_pool", "pool_left", "volunteer_erased"}, (
        matching.CODES - codes_seen
    )
    assert checked == 24 * 5
