"""The fee report's pure parts: hours shown to two decimals, months read from what people type."""

import pytest

from backbone.errors import RuleError
from volunteers.reports import hours_of, hours_text, parse_month


def test_the_quick_hours_text_is_the_decimal_rounding_for_every_minute_of_a_day():
    # The report's JSON uses float formatting for speed; it must agree with half-up decimals.
    assert [m for m in range(0, 24 * 60 * 40) if hours_text(m) != str(hours_of(m))] == []


def test_months_are_read_as_year_and_month():
    assert parse_month("2027-03").isoformat() == "2027-03-01"
    for bad in ("2027-13", "mars", "2027/03"):
        with pytest.raises(RuleError, match="år-månad"):
            parse_month(bad)
