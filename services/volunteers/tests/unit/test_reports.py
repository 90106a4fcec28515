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


def test_a_year_out_of_range_is_refused_in_words_not_a_crash():
    # 9999-12 has no next month for the report's end: a 500 before (review finding 11).
    for bad in ("9999-12", "0000-01", "1899-12", "3001-01"):
        with pytest.raises(RuleError, match="år-månad"):
            parse_month(bad)


def test_a_csv_cell_a_spreadsheet_would_run_as_a_formula_is_quoted():
    import uuid
    from datetime import date
    from decimal import Decimal

    from volunteers.reports import FeeReport, Line, Person, Sum, fee_report_csv

    person = Person(uuid.uuid4(), '=HYPERLINK("http://x")', False)
    person.lines.append(Line(uuid.uuid4(), "@pool", Decimal("150"), 60, Decimal("150")))
    person.lines.append(Line(uuid.uuid4(), "+1", Decimal("150"), 60, Decimal("150")))
    person.lines.append(Line(uuid.uuid4(), "-1", Decimal("150"), 60, Decimal("150")))
    text = fee_report_csv(FeeReport(date(2027, 3, 1), [person], [], Sum(), []))
    cells = [cell for line in text.splitlines()[1:] for cell in line.split(";")]
    assert "'@pool" in cells and "'+1" in cells and "'-1" in cells
    assert not any(cell.lstrip('"').startswith(("=", "+", "-", "@")) for cell in cells)
