"""Reading old minutes: the three real seed files, and synthetic texts for each messy case we expect."""

from __future__ import annotations

import datetime as dt
import json
from importlib.resources import files
from textwrap import dedent

import pytest

from meetings.importer import ActionItem, Attendee, Decision, MentionedDate, ParsedMinutes, parse_minutes

FEB = "2016-02-22-gemensam-utvecklingsgrupp.txt"
MAR = "2016-03-07-gemensam-utvecklingsgrupp.txt"
APR = "2016-04-04-gemensam-utvecklingsgrupp.txt"


def seed(name: str) -> str:
    return (files("meetings") / "demo" / "minutes" / name).read_text(encoding="utf-8")


def parsed_seed(name: str) -> ParsedMinutes:
    return parse_minutes(seed(name), source_name=name)


def text(block: str) -> str:
    return dedent(block).lstrip("\n")


def people(found: list[Attendee]) -> list[tuple[str, str | None]]:
    return [(person.name, person.organisation) for person in found]


def headings(minutes: ParsedMinutes) -> list[str | None]:
    return [section.heading for section in minutes.sections]


def section_text(minutes: ParsedMinutes, heading: str | None) -> str:
    return next(section.text for section in minutes.sections if section.heading == heading)


def owners(minutes: ParsedMinutes) -> list[tuple[str, str | None]]:
    return [(item.text, item.owner) for item in minutes.action_items]


# --------------------------------------------------------------------------------------------------
# The seed minutes


@pytest.mark.parametrize(
    ("name", "title", "date"),
    [
        (FEB, "Gemensam utvecklingsgrupp 22 februari 2016", dt.date(2016, 2, 22)),
        (MAR, "Gemensam utvecklingsgrupp 7 mars 2016", dt.date(2016, 3, 7)),
        (APR, "Gemensam utvecklingsgrupp 4 april 2016", dt.date(2016, 4, 4)),
    ],
)
def test_each_seed_gives_its_title_date_and_group(name: str, title: str, date: dt.date) -> None:
    minutes = parsed_seed(name)
    assert minutes.title == title
    assert minutes.date == date
    assert minutes.group == "Gemensam utvecklingsgrupp"
    assert minutes.source_name == name


def test_february_attendance_keeps_every_name_in_order_with_organisation_or_none() -> None:
    assert people(parsed_seed(FEB).attendees) == [
        ("Catrin Albrektsson", None),
        ("Leif Redestig", "socialförvaltningen"),
        ("Johanna Callegari", "socialförvaltningen"),
        ("Pierre Sander", "Bryggan"),
        ("Kenneth Tell", "Bryggan"),
        ("Carina Sörensen", "Bryggan"),
        ("Allan Hedman", "brukarmentor"),
        ("Ivan Kuzhicov", "Vorta Drom"),
        ("Gösta Strand", "arbetsmarknadsförvaltningen"),
        ("Bent Nielsen", "IFS"),
        ("Bengt Nilsson", None),
        ("Johan Larsson", "Bryggan"),
        ("David Bergström", "socialförvaltningen"),
    ]


def test_march_attendance() -> None:
    found = people(parsed_seed(MAR).attendees)
    assert len(found) == 10
    assert found[0] == ("Catrin Albrektsson", None)
    assert ("Åke Malmén", "socialförvaltningen") in found
    assert ("Lina Håkansson", "brukarmentor") in found
    assert ("Rebecka Glimsjö", "Bryggan") in found
    assert found[-1] == ("Rebecka Glimsjö", "Bryggan")


def test_april_attendance_splits_names_from_organisations_written_without_a_comma() -> None:
    assert people(parsed_seed(APR).attendees) == [
        ("Bo Pettersson", "Ria"),
        ("Herbert Tinz", "Bryggan"),
        ("Rebecka Glimsjö", "Bryggan"),
        ("Nicklas Wenkel", "Bryggan"),
        ("Bent S. Nilsen", "IFS"),
        ("Anders Sandberg", None),
        ("Gösta Strand", "arbetsmarknadsförvaltningen"),
        ("Åke Malmén", "socialförvaltningen"),
        ("Leif Redestig", "socialförvaltningen"),
        ("Johan Larsson", "Bryggan"),
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (FEB, ["Avstämningshalvdag till våren/sommaren", "IT-gruppen", "Klarspråk", "Sysselsättning"]),
        (MAR, ["Avstämningshalvdag", "Fritidsbank", "Sysselsättning", "Rapport från arbetsgrupper"]),
        (APR, ["Utvecklingsdag den 16 maj", "Besök av Per Skålén", "Rapporter från arbetsgrupperna"]),
    ],
)
def test_section_headings_in_order(name: str, expected: list[str]) -> None:
    assert headings(parsed_seed(name)) == expected


@pytest.mark.parametrize(("name", "taker"), [(FEB, "David"), (MAR, "David"), (APR, "Leif Redestig")])
def test_minute_taker_is_read_from_vid_pennan_and_left_out_of_the_text(name: str, taker: str) -> None:
    minutes = parsed_seed(name)
    assert minutes.minute_taker == taker
    assert all("Vid pennan" not in section.text for section in minutes.sections)
    assert all("/David" not in section.text for section in minutes.sections)


def test_february_bullets_are_normalised_and_nested() -> None:
    body = section_text(parsed_seed(FEB), "Avstämningshalvdag till våren/sommaren")
    assert body.splitlines()[:4] == [
        "- Är det lämpligt att vara i socialförvaltningens lokaler?",
        "  - Bra med närhet för medarbetarna, som kan närvara delar av dagen.",
        "- Vilka ska vara med?",
        "  - Bättre hälsa för unga romer",
    ]
    # A bullet wrapped over two lines becomes one bullet.
    assert (
        "- Ett förslag är att börja med en gemensam presentation (max 5 minuter per grupp) och sedan "
        "gå vidare i smågrupper och avsluta gemensamt." in body.splitlines()
    )
    assert "  - Det är viktigt att ledningen godkänner och rekommenderar medarbetarna att gå." in body
    assert "•" not in body and "\no " not in body


def test_sentences_split_by_a_page_break_are_joined() -> None:
    body = section_text(parsed_seed(FEB), "IT-gruppen")
    assert (
        "- Även personer med missbruksbakgrund kan ha missat mycket av datoriseringen i samhället "
        "under sina aktiva år." in body.splitlines()
    )
    assert body.startswith("En utveckling av tidigare idé är att utbilda fler brukare")
    april = section_text(parsed_seed(APR), "Besök av Per Skålén")
    assert "forskning/utveckling av det arbete vi gör." in april


def test_march_numbered_items_keep_their_numbers() -> None:
    body = section_text(parsed_seed(MAR), "Avstämningshalvdag")
    assert "1. Gemensam presentation, mindre föreläsningspass i olika rum, gemensam avslutning" in body
    assert "3. Gemensam (något längre) presentation, samtal i grupper, gemensam avslutning" in body
    assert "- Sip (Åke och Lina)" in body


def test_april_short_line_between_blank_lines_is_text_not_a_heading() -> None:
    minutes = parsed_seed(APR)
    assert "Sammankomsten börjar 9:00 (alt. 8:30)" not in headings(minutes)
    assert "Sammankomsten börjar 9:00 (alt. 8:30)" in section_text(minutes, "Utvecklingsdag den 16 maj")


def test_no_seed_holds_a_decision() -> None:
    # None of the three says "beslut..." about the group's own choices; "mallar för utredningar och
    # beslut" (February) is a noun and must not count.
    for name in (FEB, MAR, APR):
        assert parsed_seed(name).decisions == []


def test_february_has_one_promise_and_no_warnings() -> None:
    minutes = parsed_seed(FEB)
    assert owners(minutes) == [
        (
            "Arbetsmarknadsförvaltningen ska ta tag i matchningsprocessen "
            "för att använda den här möjligheten.",
            "Arbetsmarknadsförvaltningen",
        )
    ]
    assert minutes.warnings == []
    assert minutes.needs_review is False


def test_march_presenters_become_actions_and_the_unknown_one_is_flagged() -> None:
    minutes = parsed_seed(MAR)
    intro = "Ansvariga för respektive presentation (preliminärt)"
    assert owners(minutes) == [
        (f"{intro}: Bättre hälsa för unga romer", "Ivan"),
        (f"{intro}: Sip", "Åke och Lina"),
        (f"{intro}: Mentorsprojektet", "Johanna och Allan"),
        (f"{intro}: Klarspråk", "David och Rebecka"),
        (f"{intro}: Fritidsbank", "Leif och Catrin"),
        (f"{intro}: AMF", "AMF"),
        (f"{intro}: IT", None),
        (f"{intro}: Innovationsgruppen Ria", "Leif och Catrin"),
    ]
    assert any("IT (?)" in warning and "No owner" in warning for warning in minutes.warnings)
    assert minutes.needs_review is True


def test_march_conclusion_without_decision_words_is_a_warning_not_a_decision() -> None:
    minutes = parsed_seed(MAR)
    assert any(
        "Vi landade så småningom i ett tredje mellanting:" in warning
        and "not recorded as a decision" in warning
        for warning in minutes.warnings
    )


def test_april_promises_and_warning() -> None:
    minutes = parsed_seed(APR)
    assert owners(minutes) == [
        ("Varje grupp har ansvar för att förbereda sitt inslag.", "Varje grupp"),
        (
            "Övrigt: Gösta Strand förmedlar en inbjudan till brukare som vill delta vid ett möte "
            "med personal från arbetsmarknadsförvaltningen angående brukarinflytande.",
            "Gösta Strand",
        ),
    ]
    assert [item.section for item in minutes.action_items] == [
        "Utvecklingsdag den 16 maj",
        "Rapporter från arbetsgrupperna",
    ]
    assert len(minutes.warnings) == 1
    assert "kommer fram till följande ordning" in minutes.warnings[0]


def test_dates_mentioned_in_the_seeds_resolve_with_the_meetings_year() -> None:
    march = [(m.phrase, m.date) for m in parsed_seed(MAR).mentioned_dates]
    assert march == [
        ("16 maj", dt.date(2016, 5, 16)),
        ("2 mars", dt.date(2016, 3, 2)),
        ("22 mars", dt.date(2016, 3, 22)),
    ]
    april = parsed_seed(APR).mentioned_dates
    assert [(m.phrase, m.date) for m in april] == [
        ("den 16 maj", dt.date(2016, 5, 16)),
        ("den 3 och 4 maj", dt.date(2016, 5, 3)),
        ("den 3 och 4 maj", dt.date(2016, 5, 4)),
        ("i februari i fjol", None),
        ("den 3 maj", dt.date(2016, 5, 3)),
        ("den 13 april", dt.date(2016, 4, 13)),
    ]
    assert april[1].sentence == (
        "Professor Per Skålén (Centrum för tjänsteforskning, CTF) besöker oss den 3 och 4 maj."
    )
    assert parsed_seed(FEB).mentioned_dates == []


def test_to_dict_is_json_ready() -> None:
    data = parsed_seed(APR).to_dict()
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert data["date"] == "2016-04-04"
    assert data["needs_review"] is True
    assert data["attendees"][5] == {"name": "Anders Sandberg", "organisation": None, "role": None}
    assert data["mentioned_dates"][0]["date"] == "2016-05-16"
    assert set(data) >= {
        "title", "date", "needs_review", "group", "attendees", "absent", "sections", "minute_taker",
        "decisions", "action_items", "mentioned_dates", "warnings",
    }  # fmt: skip


def test_the_json_form_keeps_the_order_people_read_it_in() -> None:
    # `meetings-import --json` prints this; the review flag stands under the date, as it always has.
    assert list(parsed_seed(APR).to_dict()) == [
        "title", "date", "needs_review", "group", "source_name", "attendees", "absent", "minute_taker",
        "sections", "decisions", "action_items", "mentioned_dates", "next_meeting", "warnings",
    ]  # fmt: skip


def test_windows_line_endings_non_breaking_and_trailing_spaces_change_nothing() -> None:
    original = seed(MAR)
    messy = original.replace("\n", "   \r\n").replace("Leif Redestig", "Leif\u00a0Redestig")
    assert parse_minutes(messy).to_dict() == parse_minutes(original).to_dict()


# --------------------------------------------------------------------------------------------------
# Dates: missing years, other forms


MISSING_YEAR = text(
    """
    Gemensam utvecklingsgrupp 7 mars

    Närvarande
    Anna Svensson, socialförvaltningen

    Fritidsbank
    Nästa möte blir den 4 april. Vi ses i maj.
    """
)


def test_title_without_year_leaves_the_date_empty_and_asks_for_review() -> None:
    minutes = parse_minutes(MISSING_YEAR)
    assert minutes.date is None
    assert minutes.needs_review is True
    assert any('"7 mars" but gives no year' in warning for warning in minutes.warnings)
    assert [(m.phrase, m.date) for m in minutes.mentioned_dates] == [("den 4 april", None), ("i maj", None)]
    assert minutes.group == "Gemensam utvecklingsgrupp"


def test_given_year_resolves_the_meeting_and_mentioned_dates() -> None:
    minutes = parse_minutes(MISSING_YEAR, year=2017)
    assert minutes.date == dt.date(2017, 3, 7)
    assert minutes.warnings == []
    assert minutes.mentioned_dates[0].date == dt.date(2017, 4, 4)
    assert minutes.next_meeting == dt.date(2017, 4, 4)


def test_warning_points_at_a_year_in_the_file_name_without_using_it() -> None:
    minutes = parse_minutes(MISSING_YEAR, source_name="2016-03-07-gug.txt")
    assert minutes.date is None
    assert any("The file name suggests 2016." in warning for warning in minutes.warnings)


def test_a_year_in_the_text_wins_over_the_given_one_with_a_warning() -> None:
    minutes = parse_minutes(seed(FEB), year=2017)
    assert minutes.date == dt.date(2016, 2, 22)
    assert any("kept 2016" in warning for warning in minutes.warnings)


def test_date_from_a_datum_line_and_iso_dates() -> None:
    minutes = parse_minutes(
        text(
            """
            Protokoll Gemensam utvecklingsgrupp
            Datum: 2016-03-07

            Närvarande: Anna Svensson, Bo Pettersson

            Klarspråk
            Gruppen träffas igen 2016-04-11 och sedan den 9/5.
            """
        )
    )
    assert minutes.date == dt.date(2016, 3, 7)
    assert minutes.group == "Gemensam utvecklingsgrupp"
    assert [(m.phrase, m.date) for m in minutes.mentioned_dates] == [
        ("2016-04-11", dt.date(2016, 4, 11)),
        ("den 9/5", dt.date(2016, 5, 9)),
    ]


def test_no_date_anywhere_is_a_warning() -> None:
    minutes = parse_minutes("Gemensam utvecklingsgrupp\n\nNärvarande\nAnna Svensson\n\nRubrik\nText här.\n")
    assert minutes.date is None
    assert any("Found no meeting date" in warning for warning in minutes.warnings)


def test_dates_are_read_to_the_nearest_year_around_new_year_with_a_warning() -> None:
    minutes = parse_minutes(
        "Gemensam utvecklingsgrupp 12 december 2016\n\nNärvarande\nAnna Svensson\n\n"
        "Nästa möte\nVi ses 16 januari.\n"
    )
    assert minutes.next_meeting == dt.date(2017, 1, 16)
    assert any("2017-01-16" in warning and "check the year" in warning for warning in minutes.warnings)


def test_impossible_dates_and_wrong_weekdays_are_flagged() -> None:
    minutes = parse_minutes(
        "Gemensam utvecklingsgrupp måndag 8 mars 2016\n\nNärvarande\nAnna Svensson\n\n"
        "Rubrik\nVi ses den 31 april.\n"
    )
    assert minutes.date == dt.date(2016, 3, 8)
    assert any("wrong weekday" in warning for warning in minutes.warnings)
    assert minutes.mentioned_dates == [
        MentionedDate(phrase="den 31 april", sentence="Vi ses den 31 april.", date=None, section="Rubrik")
    ]
    assert any('"den 31 april" is not a real date' in warning for warning in minutes.warnings)


# --------------------------------------------------------------------------------------------------
# Cleaning PDF and Word artefacts


def test_url_broken_over_two_lines_is_joined() -> None:
    minutes = parse_minutes(
        text(
            """
            Gemensam utvecklingsgrupp 7 mars 2016

            Närvarande
            Anna Svensson

            Information
            Läs mer på https://www.helsingborg.se/omsorg-och-stod/
            brukarinflytande/ innan nästa möte.
            """
        )
    )
    assert section_text(minutes, "Information") == (
        "Läs mer på https://www.helsingborg.se/omsorg-och-stod/brukarinflytande/ innan nästa möte."
    )


def test_words_hyphenated_at_the_line_end_are_joined() -> None:
    minutes = parse_minutes(
        text(
            """
            Gemensam utvecklingsgrupp 7 mars 2016

            Närvarande
            Anna Svensson

            Information
            Det gäller social-
            förvaltningen, IT-
            gruppen och in-
            och utflyttning.
            """
        )
    )
    assert section_text(minutes, "Information") == (
        "Det gäller socialförvaltningen, IT-gruppen och in- och utflyttning."
    )


def test_table_of_contents_repeated_at_the_end_is_dropped() -> None:
    minutes = parse_minutes(seed(FEB) + "\nAvstämningshalvdag till våren/sommaren\nIT-gruppen\nKlarspråk 2\n")
    assert headings(minutes) == headings(parsed_seed(FEB))
    assert minutes.to_dict()["sections"] == parsed_seed(FEB).to_dict()["sections"]


def test_table_of_contents_after_a_label_and_dot_leaders_is_dropped() -> None:
    minutes = parse_minutes(
        text(
            """
            Gemensam utvecklingsgrupp 7 mars 2016

            Innehåll
            Fritidsbank ........ 1
            Klarspråk ........ 2

            Närvarande
            Anna Svensson

            Fritidsbank
            Text om fritidsbanken.

            Klarspråk
            Text om klarspråk.
            """
        )
    )
    assert headings(minutes) == ["Fritidsbank", "Klarspråk"]
    assert people(minutes.attendees) == [("Anna Svensson", None)]


def test_page_numbers_and_running_headers_are_dropped() -> None:
    minutes = parse_minutes(
        "Helsingborgs stad\nGemensam utvecklingsgrupp 4 april 2016\n\nNärvarande\nAnna Svensson, SOF\n\n"
        "Klarspråk\nGruppen har träffats och ska fortsätta arbetet med att granska\n"
        "Sida 1 av 2\n\fHelsingborgs stad\nGemensam utvecklingsgrupp 4 april 2016\n"
        "mallar och brev under våren.\n\n2\n"
    )
    assert minutes.title == "Gemensam utvecklingsgrupp 4 april 2016"
    assert section_text(minutes, "Klarspråk") == (
        "Gruppen har träffats och ska fortsätta arbetet med att granska mallar och brev under våren."
    )
    assert minutes.warnings == []


def test_a_header_repeated_page_after_page_is_dropped_with_a_warning() -> None:
    header = "Helsingborgs stad Socialförvaltningen"
    pages = "\n".join(
        header + "\n" + "\n".join(f"Rad {page}-{n} med text." for n in range(20)) for page in range(3)
    )
    minutes = minutes_with(pages)
    assert header not in section_text(minutes, "Rubrik")
    assert "Rad 2-19 med text." in section_text(minutes, "Rubrik")
    assert any("repeat like a page header" in warning for warning in minutes.warnings)


def test_a_phrase_repeated_a_few_lines_apart_is_content() -> None:
    minutes = minutes_with(
        "Inget nytt att rapportera\n\nSip\nInget nytt att rapportera\n\nIT\nInget nytt att rapportera\n"
    )
    assert [section.text for section in minutes.sections] == ["Inget nytt att rapportera"] * 3
    assert minutes.warnings == []


def test_bullet_glyphs_are_normalised_with_levels() -> None:
    minutes = parse_minutes(
        text(
            """
            Gemensam utvecklingsgrupp 7 mars 2016

            Närvarande
            Anna Svensson

            Punkter
            • Första
            o Under första
            ▪ Under under
            • Andra
            \uf0b7 Tredje
            – Fjärde
            * Femte
            1. Ett
            a) Del a
            b) Del b
            2. Två
            """
        )
    )
    # Word's Symbol-font bullet (U+F0B7) and "*" are the same kind of bullet as "•".
    assert section_text(minutes, "Punkter").splitlines() == [
        "- Första",
        "  - Under första",
        "    - Under under",
        "- Andra",
        "- Tredje",
        "  - Fjärde",
        "- Femte",
        "1. Ett",
        "  a) Del a",
        "  b) Del b",
        "2. Två",
    ]


def test_indentation_sets_the_bullet_level_when_there_is_some() -> None:
    minutes = parse_minutes(
        "Gemensam utvecklingsgrupp 7 mars 2016\n\nNärvarande\nAnna Svensson\n\nPunkter\n"
        "- Ett\n    - Ett a\n    - Ett b\n- Två\n"
    )
    assert section_text(minutes, "Punkter") == "- Ett\n  - Ett a\n  - Ett b\n- Två"


def test_dash_inside_a_wrapped_sentence_is_not_a_bullet() -> None:
    minutes = parse_minutes(
        "Gemensam utvecklingsgrupp 7 mars 2016\n\nNärvarande\nAnna Svensson\n\nFritidsbank\n"
        "Diskussionen gick vidare till personresurser\n– det är svårt att engagera idrottsledare.\n"
    )
    assert section_text(minutes, "Fritidsbank") == (
        "Diskussionen gick vidare till personresurser – det är svårt att engagera idrottsledare."
    )


def test_empty_text_is_a_warning() -> None:
    minutes = parse_minutes(" \r\n\u00a0\n")
    assert minutes.title is None and minutes.sections == []
    assert minutes.needs_review is True


# --------------------------------------------------------------------------------------------------
# Attendance and absence


def test_attendance_variants_and_absence_lists() -> None:
    minutes = parse_minutes(
        text(
            """
            Gemensam utvecklingsgrupp 7 mars 2016

            Deltagare:
            • Anna Svensson (socialförvaltningen)
            • Bo Pettersson, Ria/G7
            • Catrin Albrektsson (ordf.)
            • Dana Ek – Bryggan

            Frånvarande:
            Eva Lund, IFS

            Anmält förhinder: Martina Ek, Bryggan; Leif Redestig

            Fritidsbank
            Text om fritidsbanken.
            """
        )
    )
    assert people(minutes.attendees) == [
        ("Anna Svensson", "socialförvaltningen"),
        ("Bo Pettersson", "Ria/G7"),
        ("Catrin Albrektsson", None),
        ("Dana Ek", "Bryggan"),
    ]
    assert minutes.attendees[2].role == "ordförande"
    assert people(minutes.absent) == [("Eva Lund", "IFS"), ("Martina Ek", "Bryggan"), ("Leif Redestig", None)]
    assert headings(minutes) == ["Fritidsbank"]
    assert minutes.warnings == []


def test_inline_attendance_with_organisations_after_commas() -> None:
    minutes = parse_minutes(
        "Gemensam utvecklingsgrupp 7 mars 2016\n\n"
        "Närvarande: Anna Svensson, socialförvaltningen, Bo Pettersson (Ria/G7) och Catrin\n\n"
        "Rubrik\nText här som är brödtext.\n"
    )
    assert people(minutes.attendees) == [
        ("Anna Svensson", "socialförvaltningen"),
        ("Bo Pettersson", "Ria/G7"),
        ("Catrin", None),
    ]


def test_heading_right_under_the_attendance_list_is_read_as_a_heading_with_a_warning() -> None:
    minutes = parse_minutes(
        text(
            """
            Gemensam utvecklingsgrupp 7 mars 2016
            Närvarande
            Anna Svensson, socialförvaltningen
            Bo Pettersson, Ria/G7
            Fritidsbank
            Det var flera representanter som träffades och ville jobba med frågan.
            """
        )
    )
    assert people(minutes.attendees) == [
        ("Anna Svensson", "socialförvaltningen"),
        ("Bo Pettersson", "Ria/G7"),
    ]
    assert headings(minutes) == ["Fritidsbank"]
    assert any('"Fritidsbank" follows the attendance list' in warning for warning in minutes.warnings)


def test_a_heading_phrase_touching_the_attendance_list_is_not_a_person_with_an_organisation() -> None:
    minutes = parse_minutes(
        text(
            """
            Gemensam utvecklingsgrupp 22 februari 2016

            Närvarande
            Catrin Albrektsson
            Leif Redestig, socialförvaltningen
            Avstämningshalvdag till våren/sommaren

            Vi pratade om lokalerna.

            IT-gruppen

            En utveckling av tidigare idé.
            """
        )
    )
    assert people(minutes.attendees) == [
        ("Catrin Albrektsson", None),
        ("Leif Redestig", "socialförvaltningen"),
    ]
    assert headings(minutes) == ["Avstämningshalvdag till våren/sommaren", "IT-gruppen"]


def test_a_heading_asked_as_a_question_is_a_heading() -> None:
    minutes = parse_minutes(
        text(
            """
            Gemensam utvecklingsgrupp 7 mars 2016

            Närvarande
            Anna Berg, Bryggan
            Bo Ek, IFS

            Vilka ska vara med?
            Alla arbetsgrupper bjuds in.

            Fritidsbank
            Det går bra.
            """
        )
    )
    assert headings(minutes) == ["Vilka ska vara med?", "Fritidsbank"]
    assert people(minutes.attendees) == [("Anna Berg", "Bryggan"), ("Bo Ek", "IFS")]


def test_three_capitalised_words_without_a_comma_are_kept_as_a_name_with_a_warning() -> None:
    minutes = parse_minutes(
        "Gemensam utvecklingsgrupp 7 mars 2016\n\nNärvarande\nBo Pettersson Ria\n\nRubrik\nText här.\n"
    )
    assert people(minutes.attendees) == [("Bo Pettersson Ria", None)]
    assert any("no comma between name and organisation" in warning for warning in minutes.warnings)


def test_missing_attendance_list_is_a_warning() -> None:
    minutes = parse_minutes("Gemensam utvecklingsgrupp 7 mars 2016\n\nRubrik\nText här.\n")
    assert minutes.attendees == []
    assert any("Found no attendance list" in warning for warning in minutes.warnings)


# --------------------------------------------------------------------------------------------------
# Minute-taker


@pytest.mark.parametrize(
    "signature",
    [
        "Vid protokollet\n\nAnna Svensson\n",
        "Sekreterare: Anna Svensson\n",
        "Antecknat av Anna Svensson\n",
        "Vid pennan\n/Anna Svensson, socialförvaltningen\n",
    ],
)
def test_minute_taker_labels(signature: str) -> None:
    minutes = parse_minutes(
        f"Gemensam utvecklingsgrupp 7 mars 2016\n\nNärvarande\nBo Ek\n\nRubrik\nText här.\n\n{signature}"
    )
    assert minutes.minute_taker == "Anna Svensson"
    assert section_text(minutes, "Rubrik") == "Text här."


def test_missing_signature_gives_no_minute_taker_and_no_warning() -> None:
    minutes = parse_minutes(
        "Gemensam utvecklingsgrupp 7 mars 2016\n\nNärvarande\nBo Ek\n\nRubrik\nText här.\n"
    )
    assert minutes.minute_taker is None
    assert minutes.warnings == []


def test_two_different_minute_takers_are_not_guessed_between() -> None:
    minutes = parse_minutes(
        "Gemensam utvecklingsgrupp 7 mars 2016\n\nNärvarande\nBo Ek\n\nRubrik\nText här.\n\n"
        "Vid pennan: Anna Svensson\nSekreterare: Bo Ek\n"
    )
    assert minutes.minute_taker is None
    assert any("more than one minute-taker" in warning for warning in minutes.warnings)


def test_first_name_signature_and_secretary_in_the_list_agree() -> None:
    minutes = parse_minutes(
        "Gemensam utvecklingsgrupp 7 mars 2016\n\nNärvarande\nDavid Bergström, sekreterare\n\n"
        "Rubrik\nText här.\n\nVid pennan\nDavid\n"
    )
    assert minutes.minute_taker == "David Bergström"
    assert minutes.warnings == []


# --------------------------------------------------------------------------------------------------
# Headings


def test_headings_followed_by_a_blank_line_are_found_when_the_whole_text_is_written_so() -> None:
    minutes = parse_minutes(
        text(
            """
            Gemensam utvecklingsgrupp 7 mars 2016

            Närvarande
            Anna Svensson

            Fritidsbank

            Det var flera som träffades. Gruppen beslutade att starta i maj.

            Nästa möte

            Måndag den 4 april kl. 13.
            """
        )
    )
    assert headings(minutes) == ["Fritidsbank", "Nästa möte"]
    assert minutes.next_meeting == dt.date(2016, 4, 4)


def test_agenda_numbers_and_paragraph_signs_make_headings_but_numbered_items_do_not() -> None:
    minutes = parse_minutes(
        text(
            """
            Gemensam utvecklingsgrupp 7 mars 2016

            Närvarande
            Anna Svensson

            1. Mötets öppnande
            Ordföranden öppnade mötet och hälsade alla välkomna.

            § 2 Ekonomi
            Det finns två förslag:
            1. Första förslaget
            2. Andra förslaget
            """
        )
    )
    assert headings(minutes) == ["1. Mötets öppnande", "§ 2 Ekonomi"]
    assert section_text(minutes, "§ 2 Ekonomi") == (
        "Det finns två förslag:\n1. Första förslaget\n2. Andra förslaget"
    )


def test_text_before_the_first_heading_is_kept_without_a_heading() -> None:
    minutes = parse_minutes(
        "Gemensam utvecklingsgrupp 7 mars 2016\n\nNärvarande\nAnna Svensson\n\n"
        "Mötet hölls i Stadshuset.\n\nRubrik\nText här.\n"
    )
    assert headings(minutes) == [None, "Rubrik"]
    assert section_text(minutes, None) == "Mötet hölls i Stadshuset."


def test_text_without_headings_is_one_section_with_a_warning() -> None:
    minutes = parse_minutes(
        "Gemensam utvecklingsgrupp 7 mars 2016\n\nNärvarande\nAnna Svensson\n\n"
        "Vi pratade om allt möjligt under mötet. Det var bra.\n"
    )
    assert headings(minutes) == [None]
    assert any("Found no headings" in warning for warning in minutes.warnings)


# --------------------------------------------------------------------------------------------------
# Decisions and promises


def minutes_with(body: str) -> ParsedMinutes:
    return parse_minutes(
        f"Gemensam utvecklingsgrupp 7 mars 2016\n\nNärvarande\nAnna Svensson\n\nRubrik\n{body}"
    )


@pytest.mark.parametrize(
    ("body", "decision"),
    [
        ("Vi beslutar att börja i maj.", "Vi beslutar att börja i maj."),
        ("Beslut: Fritidsbanken öppnar i maj.", "Fritidsbanken öppnar i maj."),
        ("Vi pratade länge. Gruppen beslutade att bjuda in AMF.", "Gruppen beslutade att bjuda in AMF."),
        ("Det beslutades att mötet flyttas.", "Det beslutades att mötet flyttas."),
        ("- Vi kom överens om att ses oftare.", "Vi kom överens om att ses oftare."),
    ],
)
def test_decisions_are_recorded_with_their_section(body: str, decision: str) -> None:
    assert minutes_with(body + "\n").decisions == [Decision(text=decision, section="Rubrik")]


@pytest.mark.parametrize(
    "body",
    [
        "Inget beslut fattades om lokalen.",
        "Frågan ska beslutas på nästa möte.",
        "En viktig del är att titta på mallar för utredningar och beslut.",
        "Ska vi besluta om detta nu?",
    ],
)
def test_no_decision_is_read_where_none_was_made(body: str) -> None:
    assert minutes_with(body + "\n").decisions == []


def test_decision_introducing_a_list_takes_the_list_along() -> None:
    minutes = minutes_with("Vi beslutade följande:\n- Vi kör på förslag 3\n- Vi ses i maj\n")
    assert minutes.decisions == [
        Decision(text="Vi beslutade följande: Vi kör på förslag 3; Vi ses i maj", section="Rubrik")
    ]


def test_beslut_label_over_a_list_makes_each_item_a_decision() -> None:
    minutes = minutes_with("Beslut:\n- Vi kör på förslag 3\n- Vi ses i maj\n")
    assert [decision.text for decision in minutes.decisions] == ["Vi kör på förslag 3", "Vi ses i maj"]


@pytest.mark.parametrize(
    ("body", "owner"),
    [
        ("Martina lovar att kolla upp detta.", "Martina"),
        ("Leif och Catrin ansvarar för inbjudan.", "Leif och Catrin"),
        ("Bo tar kontakt med Vorta Drom.", "Bo"),
        ("Anna återkommer om lokalen.", "Anna"),
        ("Vi diskuterade saken och Johan ska boka lokal.", "Johan"),
        ("Till nästa möte tar Martina kontakt med Bryggan.", "Martina"),
        ("Socialförvaltningen undersöker saken.", "Socialförvaltningen"),
    ],
)
def test_promises_become_actions_with_their_owner(body: str, owner: str) -> None:
    minutes = minutes_with(body + "\n")
    assert minutes.action_items == [ActionItem(text=body, owner=owner, section="Rubrik")]
    assert minutes.warnings == []


def test_action_labels_and_responsible_persons() -> None:
    minutes = minutes_with(
        "Åtgärd: Boka lokal till mötet (ansvarig: Martina).\n\nÅtgärd: Skriv ett program\n"
    )
    assert owners(minutes) == [("Boka lokal till mötet.", "Martina"), ("Skriv ett program", None)]
    assert any('"Skriv ett program"' in warning and "No owner" in warning for warning in minutes.warnings)


def test_promise_without_a_clear_owner_is_kept_with_a_warning() -> None:
    minutes = minutes_with("Vi återkommer om maten.\n\nFrågan återkommer på nästa möte.\n")
    assert owners(minutes) == [("Vi återkommer om maten.", None), ("Frågan återkommer på nästa möte.", None)]
    assert any('it only says "Vi"' in warning for warning in minutes.warnings)
    assert minutes.needs_review is True


@pytest.mark.parametrize(
    "body",
    [
        "Kan Martina kontakta Bryggan?",
        "Vi behöver hitta den som ansvarar för lokalen.",
        "David Bergström har hittat sex personer.",
    ],
)
def test_questions_and_descriptions_are_not_promises(body: str) -> None:
    assert minutes_with(body + "\n").action_items == []
