"""Small pure rules of the web UI: redirects, CSRF tokens, headers, invitees, snippets, charts, forms."""

from __future__ import annotations

from gateway import csrf, security_headers
from gateway.chart import Bar, bar_chart
from gateway.highlights import safe_snippet
from gateway.navigation import safe_next
from gateway.oidc import pkce_challenge
from gateway.pages.imports import items_from_lines, people_from_lines, review_form
from gateway.pages.meetings import parse_invitees
from gateway.pages.series import series_body
from gateway.pages.statistics import totals_by_organisation
from gateway.rendering import ENV


def test_only_paths_on_this_site_are_followed_after_sign_in() -> None:
    assert safe_next("/meetings?from=2026-01-01") == "/meetings?from=2026-01-01"
    for evil in ("https://evil.example", "//evil.example", "/\\evil.example", "", None, "javascript:x"):
        assert safe_next(evil) == "/"


def test_pre_session_csrf_tokens_depend_on_the_secret_and_the_cookie() -> None:
    a = csrf.pre_session_token("secret", "cookie-a")
    assert a == csrf.pre_session_token("secret", "cookie-a")
    assert a != csrf.pre_session_token("secret", "cookie-b")
    assert a != csrf.pre_session_token("other secret", "cookie-a")


def test_security_headers() -> None:
    headers = dict(security_headers.headers_for("/meetings", behind_tls=True))
    assert b"script-src 'self'" in headers[b"content-security-policy"]
    assert b"frame-ancestors 'none'" in headers[b"content-security-policy"]
    assert headers[b"cache-control"] == b"no-store"
    assert b"strict-transport-security" in headers
    static = dict(security_headers.headers_for("/static/app.css", behind_tls=False))
    assert static[b"cache-control"].startswith(b"public")
    assert b"strict-transport-security" not in static


def test_invitees_are_read_one_per_line() -> None:
    invitees, bad = parse_invitees("Anna Berg, anna@example.se\nBo <bo@example.se>\n\nno address here")
    assert invitees == [
        {"name": "Anna Berg", "email": "anna@example.se"},
        {"name": "Bo", "email": "bo@example.se"},
    ]
    assert bad == [4]


def test_search_snippets_keep_only_the_marks() -> None:
    snippet = safe_snippet("vi <mark>möts</mark> &lt;b&gt; <script>alert(1)</script>")
    assert "<mark>möts</mark>" in snippet
    assert "<script>" not in snippet
    assert "&lt;script&gt;" in snippet
    assert str(safe_snippet("<mark>open")).endswith("</mark>")


def test_the_chart_is_an_accessible_svg_with_escaped_labels() -> None:
    svg = bar_chart([Bar("Bryggan", 10), Bar("<Ria>", 5)], title="Närvaro", description="Stapeldiagram")
    assert 'role="img"' in svg
    assert "<title" in svg and "<desc" in svg
    assert "&lt;Ria&gt;" in svg
    assert 'width="420"' in svg and 'width="210"' in svg


def test_attendance_is_summed_per_organisation() -> None:
    rows = [
        {"organisation_name": "Ria", "present": 2, "guest": 0, "excused": 1, "absent": 0},
        {"organisation_name": "Bryggan", "present": 3, "guest": 1, "excused": 0, "absent": 0},
        {"organisation_name": "Ria", "present": 4, "guest": 0, "excused": 0, "absent": 1},
    ]
    totals = totals_by_organisation(rows)
    assert [(t["organisation"], t["present"]) for t in totals] == [("Ria", 6), ("Bryggan", 3)]


def test_a_monthly_series_form_becomes_a_recurrence() -> None:
    values = {
        "title": "Gemensam utvecklingsgrupp",
        "group_id": "",
        "place": "Bryggan",
        "rhythm": "monthly-1",
        "weekday": "0",
        "start_time": "13:30",
        "duration": "120",
        "starts_on": "2026-01-01",
        "count": "6",
        "invitees": "",
    }
    body, errors = series_body(values)
    assert not errors
    assert body["recurrence"] == {"frequency": "monthly", "weekday": 0, "week_of_month": 1}
    _body, errors = series_body({**values, "title": "", "count": "0"})
    assert set(errors) == {"title", "count"}


def test_the_import_review_form_round_trips_people_and_action_items() -> None:
    form = review_form(
        {
            "title": "Gemensam utvecklingsgrupp",
            "date": None,
            "attendees": [
                {"name": "Bo Pettersson", "organisation": "Ria/G7"},
                {"name": "Catrin", "organisation": None},
            ],
            "action_items": [{"text": "Kolla upp detta", "owner": "Martina"}],
            "decisions": [{"text": "Vi beslutar att"}],
        }
    )
    assert people_from_lines(form["attendees"]) == [
        {"name": "Bo Pettersson", "organisation": "Ria/G7"},
        {"name": "Catrin", "organisation": None},
    ]
    assert items_from_lines(form["action_items"]) == [{"text": "Kolla upp detta", "owner": "Martina"}]
    assert form["decisions"] == "Vi beslutar att"


def test_pkce_challenge_follows_rfc_7636() -> None:
    # The example of RFC 7636, appendix B.
    assert (
        pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_form_fields_tie_their_error_to_the_input_and_the_summary_links_to_it() -> None:
    template = ENV.from_string(
        '{% import "macros/forms.html" as forms %}{{ forms.error_summary(errors) }}'
        '{{ forms.input("email", "E-post", "", errors, hint="Din adress") }}'
    )
    html = template.render(errors={"email": "Skriv din e-postadress."})
    assert 'href="#field-email"' in html
    assert 'id="field-email"' in html
    assert 'aria-describedby="hint-email error-email"' in html
    assert 'aria-invalid="true"' in html


def test_agenda_items_move_one_step_and_not_off_the_ends() -> None:
    from gateway.pages.meetings import moved

    assert moved(["a", "b", "c"], "b", "up") == ["b", "a", "c"]
    assert moved(["a", "b", "c"], "b", "down") == ["a", "c", "b"]
    assert moved(["a", "b", "c"], "a", "up") is None
    assert moved(["a", "b", "c"], "c", "down") is None
    assert moved(["a", "b"], "x", "up") is None


def test_service_documents_through_the_api_get_no_script_at_all() -> None:
    headers = dict(security_headers.headers_for("/api/meetings/v1/minutes/x/print", behind_tls=False))
    csp = headers[b"content-security-policy"]
    assert b"default-src 'none'" in csp
    assert b"script-src" not in csp
    assert b"frame-ancestors 'none'" in csp
