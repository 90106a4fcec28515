"""Matching: who may take a request, why the others may not, and a fair order over a year."""

from __future__ import annotations

import random
import uuid
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from volunteers.matching import Candidate, Need, Qualification, Requirement, match
from volunteers.model import AvailabilityException, WeeklySlot

ZONE = ZoneInfo("Europe/Stockholm")  # the service's settings.zone in the app; fixed here for reasons' times
RECORD_CHECK = Requirement(
    "belastningsregister", "certificate", "Utdrag ur belastningsregistret", expires=True
)
TRAINING = Requirement("intervjuteknik", "training", "Intervjuteknik")
# Monday 11 January 2027, 09.00-11.00 in Stockholm.
MONDAY = datetime(2027, 1, 11, 8, tzinfo=UTC)


def need(**overrides: object) -> Need:
    values: dict[str, object] = {
        "request_id": uuid.uuid4(),
        "starts_at": MONDAY,
        "ends_at": MONDAY + timedelta(hours=2),
        "zone": ZONE,
        "requirements": (RECORD_CHECK, TRAINING),
    }
    return Need(**(values | overrides))  # type: ignore[arg-type]


def person(name: str, **overrides: object) -> Candidate:
    values: dict[str, object] = {
        "volunteer_id": uuid.uuid4(),
        "name": name,
        "qualifications": (
            Qualification("belastningsregister", date(2026, 6, 1), date(2027, 6, 1)),
            Qualification("intervjuteknik", date(2026, 5, 1)),
        ),
    }
    return Candidate(**(values | overrides))  # type: ignore[arg-type]


def reasons_of(result: object, name: str) -> tuple[str, ...]:
    for excluded in result.excluded:  # type: ignore[attr-defined]
        if excluded.name == name:
            return excluded.reasons  # type: ignore[no-any-return]
    raise AssertionError(f"{name} is not excluded")


def test_a_certificate_that_expired_before_the_request_excludes_and_says_when_it_expired() -> None:
    expired = person(
        "Bea",
        qualifications=(
            Qualification("belastningsregister", date(2025, 1, 1), date(2027, 1, 10)),
            Qualification("intervjuteknik", date(2026, 5, 1)),
        ),
    )
    result = match(need(), [person("Ada"), expired])
    assert [r.name for r in result.ranked] == ["Ada"]
    assert reasons_of(result, "Bea") == (
        "Intyget ”Utdrag ur belastningsregistret” gick ut 10 januari 2027, före uppdraget 11 januari 2027. "
        "Ett nytt behövs.",
    )


def test_a_certificate_valid_on_the_day_of_the_request_is_enough() -> None:
    on_the_day = person(
        "Bea",
        qualifications=(
            Qualification("belastningsregister", date(2025, 1, 1), date(2027, 1, 11)),
            Qualification("intervjuteknik", date(2026, 5, 1)),
        ),
    )
    assert [r.name for r in match(need(), [on_the_day]).ranked] == ["Bea"]


def test_a_missing_training_excludes() -> None:
    untrained = person(
        "Cai", qualifications=(Qualification("belastningsregister", date(2026, 6, 1), date(2028, 1, 1)),)
    )
    assert reasons_of(match(need(), [untrained]), "Cai") == ("Utbildningen ”Intervjuteknik” saknas.",)


def test_a_clash_with_another_assignment_excludes() -> None:
    busy = person("Dan", busy=((MONDAY + timedelta(hours=1), MONDAY + timedelta(hours=3)),))
    free_after = person("Eva", busy=((MONDAY + timedelta(hours=2), MONDAY + timedelta(hours=3)),))
    result = match(need(), [busy, free_after])
    assert [r.name for r in result.ranked] == ["Eva"]
    assert reasons_of(result, "Dan") == ("Har redan ett uppdrag samma tid (11 januari kl. 10.00–12.00).",)


def test_a_client_of_the_unit_is_not_matched_to_its_interview() -> None:
    client = person("Fia", client_units=frozenset({"Kronans boende"}))
    result = match(need(unit="Kronans boende"), [client])
    assert reasons_of(result, "Fia") == ("Är själv klient på enheten Kronans boende (jäv).",)
    assert [r.name for r in match(need(unit="Centrumhuset"), [client]).ranked] == ["Fia"]


def test_language_area_pool_status_and_consent_each_exclude_with_their_reason() -> None:
    result = match(
        need(language="ar", area="kronan"),
        [
            person("Gus"),
            person("Hed", languages=frozenset({"sv", "ar"}), areas=frozenset({"centrum"})),
            person("Ida", languages=frozenset({"ar"}), membership="applied"),
            person("Jon", languages=frozenset({"ar"}), consents_to_offers=False),
            person("Kim", languages=frozenset({"ar"}), areas=frozenset({"kronan", "centrum"})),
        ],
    )
    assert [r.name for r in result.ranked] == ["Kim"]
    assert reasons_of(result, "Gus") == ("Talar inte språket som behövs (ar).",)
    assert reasons_of(result, "Hed") == ("Tar inte uppdrag i området kronan.",)
    assert reasons_of(result, "Ida") == ("Är inte godkänd i poolen ännu.",)
    assert reasons_of(result, "Jon") == (
        "Har inte samtyckt till att få erbjudanden, eller har tagit tillbaka samtycket.",
    )


def test_availability_follows_the_weekly_pattern_and_its_exceptions() -> None:
    mondays = (WeeklySlot(1, time(8), time(12)),)
    tuesdays = (WeeklySlot(2, time(8), time(12)),)
    away = AvailabilityException(MONDAY - timedelta(days=1), MONDAY + timedelta(days=1), False, "semester")
    extra = AvailabilityException(MONDAY, MONDAY + timedelta(hours=2), True)
    result = match(
        need(),
        [
            person("Leo", weekly=mondays),
            person("Mia", weekly=tuesdays),
            person("Nils", weekly=mondays, exceptions=(away,)),
            person("Olle", weekly=tuesdays, exceptions=(extra,)),
            person("Pia"),  # no pattern: comes when asked
        ],
    )
    assert sorted(r.name for r in result.ranked) == ["Leo", "Olle", "Pia"]
    assert reasons_of(result, "Mia") == ("Brukar inte kunna den veckodagen eller den tiden.",)
    assert reasons_of(result, "Nils") == (
        "Är borta 10 januari kl. 09.00 till 12 januari kl. 09.00 (semester).",
    )


def test_the_monthly_cap_excludes_and_every_reason_is_given_not_only_the_first() -> None:
    capped = person("Rut", this_month=4, consents_to_offers=False)
    assert reasons_of(match(need(monthly_cap=4), [capped]), "Rut") == (
        "Har inte samtyckt till att få erbjudanden, eller har tagit tillbaka samtycket.",
        "Har redan 4 uppdrag i januari i poolen; taket är 4 i månaden.",
    )


def test_fewest_recent_assignments_first_then_longest_since_the_last_and_each_says_why() -> None:
    long_ago = datetime(2026, 10, 1, 9, tzinfo=UTC)
    lately = datetime(2026, 12, 20, 9, tzinfo=UTC)
    result = match(
        need(),
        [
            person("Sam", recent=2, this_month=1, last_assigned_at=lately),
            person("Tea", recent=1, last_assigned_at=lately),
            person("Uno", recent=1, last_assigned_at=long_ago),
            person("Vera"),
        ],
    )
    assert [(r.rank, r.name) for r in result.ranked] == [(1, "Vera"), (2, "Uno"), (3, "Tea"), (4, "Sam")]
    assert result.ranked[0].reason == (
        "Uppfyller kraven och kan den tiden. Har inga uppdrag de senaste 90 dagarna, 0 av 4 i januari; "
        "inget uppdrag i poolen det senaste året."
    )
    assert result.ranked[3].reason.endswith(
        "Har 2 uppdrag de senaste 90 dagarna, 1 av 4 i januari; senast 20 december 2026."
    )


def test_someone_who_answered_an_offer_of_this_request_is_not_asked_again() -> None:
    result = match(need(), [person("Åsa", offer_status="declined"), person("Örjan", assigned_here=True)])
    assert result.ranked == []
    assert reasons_of(result, "Åsa") == ("Har tackat nej till det här uppdraget.",)
    assert reasons_of(result, "Örjan") == ("Har redan en plats på det här uppdraget.",)


def _simulate_year(
    people: list[Candidate], *, seed: int, decline: float, cap: int, weekdays: tuple[int, ...] = (1, 3)
) -> tuple[Counter[uuid.UUID], Counter[uuid.UUID], dict[tuple[uuid.UUID, int], int]]:
    """A year of requests (two seats, on `weekdays`, 10.00-12.00), answered in rank order by people who
    decline with probability `decline`; what the service does, with the counts it would read."""
    rng = random.Random(seed)
    history: dict[uuid.UUID, list[datetime]] = defaultdict(list)
    eligible_for: Counter[uuid.UUID] = Counter()
    per_month: dict[tuple[uuid.UUID, int], int] = defaultdict(int)
    day = date(2027, 1, 4)
    while day.year == 2027:
        if day.isoweekday() in weekdays:
            starts = datetime(day.year, day.month, day.day, 10, tzinfo=ZONE).astimezone(UTC)
            request = need(
                starts_at=starts, ends_at=starts + timedelta(hours=2), requirements=(), monthly_cap=cap
            )
            window = starts - timedelta(days=90)
            declined: set[uuid.UUID] = set()
            taken = 0
            while taken < 2:
                now = [
                    Candidate(
                        volunteer_id=p.volunteer_id,
                        name=p.name,
                        weekly=p.weekly,
                        recent=sum(1 for t in history[p.volunteer_id] if window <= t < starts),
                        this_month=per_month[(p.volunteer_id, day.month)],
                        last_assigned_at=max(history[p.volunteer_id], default=None),
                        offer_status="declined" if p.volunteer_id in declined else None,
                    )
                    for p in people
                ]
                ranked = match(request, now).ranked
                if not ranked:
                    break
                first = ranked[0]
                if first.rank == 1 and not declined and taken == 0:
                    for r in ranked:
                        eligible_for[r.volunteer_id] += 1
                if rng.random() < decline:
                    declined.add(first.volunteer_id)
                    continue
                history[first.volunteer_id].append(starts)
                per_month[(first.volunteer_id, day.month)] += 1
                taken += 1
        day += timedelta(days=1)
    assigned = Counter({p.volunteer_id: len(history[p.volunteer_id]) for p in people})
    return assigned, eligible_for, per_month


def test_over_a_year_everyone_who_can_gets_a_near_equal_share() -> None:
    """24 people, all able to take every request, everyone says yes: 2 requests a week with 2 seats,
    208 places in 2027, 8.67 each on average.

    Bound: the spread (most minus fewest assignments) is at most 1. Why: everyone is eligible for
    every request and the ranking puts the fewest recent first, and among those the longest since
    their last assignment; that is a round robin, in which no one can get a second turn before
    everyone else has had one. The 90-day window does not break it: everybody's turn comes every
    six weeks, well inside it. The monthly cap (2) never binds: a round of 24 takes 6 weeks.
    """
    people = [person(f"P{i:02d}", qualifications=()) for i in range(24)]
    assigned, _, per_month = _simulate_year(people, seed=1, decline=0.0, cap=2)
    assert sum(assigned.values()) == 2 * 2 * 52  # 2027 has 52 Mondays and 52 Wednesdays
    assert max(assigned.values()) - min(assigned.values()) <= 1, assigned
    assert max(per_month.values()) <= 2


def test_over_a_year_declines_and_a_monthly_cap_leave_nobody_always_chosen_or_always_passed_over() -> None:
    """12 people for 2 requests a week with 2 seats (208 places, 17.3 each on average), a monthly cap
    of 3, and every offer declined with probability 0.2 (the next in rank is then asked).

    Bounds: nobody ever exceeds the cap, and the spread of the year's assignments is at most 4.
    Why: a decline does not send the person to the back; with fewest-recent-first they stay at the
    front and are asked first for the next request, so a decline only delays their turn. A deficit
    lasts only while they keep declining (two in a row: 1 in 25 offers), and the ranking evens out
    the counts of the last 90 days, not of the year: a deficit left at the end of one window is
    at most one place, and the year has four windows. Fairness in five seeds gave spreads of 1 to 3.
    A ranking that always picked the same people, or never reached some, fails it at once (36 and 0).
    """
    people = [person(f"Q{i:02d}", qualifications=()) for i in range(12)]
    assigned, eligible_for, per_month = _simulate_year(people, seed=7, decline=0.2, cap=3)
    assert max(per_month.values()) <= 3
    assert max(assigned.values()) - min(assigned.values()) <= 4, assigned
    assert all(eligible_for[p.volunteer_id] > 0 for p in people)


def test_over_a_year_someone_free_on_fewer_days_is_still_asked_on_the_days_they_can() -> None:
    """Half of 16 people can only do Mondays, the other half both Mondays and Wednesdays.

    Bound: everybody gets between 10 and 17 assignments (the mean is 13). Why: on Wednesdays only
    the second half can come, so they take the 104 Wednesday places between them (13 each) and,
    having more recent assignments, rank behind the Monday-only people on Mondays, who then take
    the Monday places (104 among 8, 13 each). The ranking evens out the last 90 days, so a group
    ahead at a window's end is at most one turn of the other group ahead (2 places a day for 8
    people: one per window), 3 over the year's windows: 13 +- 3, rounded outwards. Seeds 0-2 gave 11 to 16.
    """
    mondays = (WeeklySlot(1, time(8), time(18)),)
    both = (WeeklySlot(1, time(8), time(18)), WeeklySlot(3, time(8), time(18)))
    people = [person(f"R{i:02d}", qualifications=(), weekly=mondays if i < 8 else both) for i in range(16)]
    assigned, _, _ = _simulate_year(people, seed=3, decline=0.0, cap=4)
    assert min(assigned.values()) >= 10, assigned
    assert max(assigned.values()) <= 17, assigned


def test_someone_with_a_pattern_but_no_slot_that_day_is_not_taken_for_someone_without_one() -> None:
    # The database side passes only the slots of the request's weekday.
    result = match(need(), [person("Ulf", weekly=(), keeps_pattern=True), person("Vide", weekly=())])
    assert [r.name for r in result.ranked] == ["Vide"]
    assert reasons_of(result, "Ulf") == ("Brukar inte kunna den veckodagen eller den tiden.",)
