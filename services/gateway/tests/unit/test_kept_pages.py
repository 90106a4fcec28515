"""Pages shown again from the answers they were made of (rendering.render_kept), and the quicker ways
the templates read the services' JSON and format labels: always the same HTML as rendering anew."""

from __future__ import annotations

import uuid
from dataclasses import replace
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment
from starlette.requests import Request

from gateway import flash, i18n, rendering
from gateway.rendering import ENV, render_kept
from gateway.sessions import SignedIn
from gateway.upstream import Answer, AnswerCache

ADA = SignedIn(
    user_id=uuid.UUID(int=1),
    email="ada@example.org",
    name="Ada",
    roles=("staff",),
    organisation_id=None,
    pool_ids=(),
    csrf_token="csrf-ada",
    token_hash=b"ada",
)
TEMPLATE = "pages/start.html"


def _request(
    cache: AnswerCache, user: SignedIn | None = ADA, cookie: str = "", query: bytes = b""
) -> Request:
    settings = SimpleNamespace(
        development=False,
        oidc_enabled=False,
        oidc_label="",
        zone=ZoneInfo("UTC"),
        behind_tls=False,
        secret_key="x" * 32,
    )
    app = SimpleNamespace(state=SimpleNamespace(settings=settings, upstream=SimpleNamespace(cache=cache)))
    headers = [(b"cookie", cookie.encode())] if cookie else []
    scope: dict[str, Any] = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "root_path": "",
        "query_string": query,
        "headers": headers,
        "app": app,
        "state": {"user": user},
    }
    return Request(scope)


class Context:
    """The page's context, counting how often the page needed it (once per rendering)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> dict[str, Any]:
        self.calls += 1
        meetings = [{"id": "m-1", "title": f"Styrgrupp {self.calls}", "starts_at": None, "place": "Rum"}]
        return {"meetings": meetings, "action_items": {}, "minutes": [], "can_manage": False}


def _answer(tag: str | None = 'W/"1"') -> Answer:
    return Answer(200, b"{}", tag)


def test_the_same_answers_show_the_page_made_from_them_without_rendering_again() -> None:
    cache, context = AnswerCache(), Context()
    first = render_kept(_request(cache), TEMPLATE, [_answer()], context)
    again = render_kept(_request(cache), TEMPLATE, [_answer()], context)
    assert context.calls == 1
    assert again.body == first.body and "Styrgrupp 1" in again.body.decode()
    assert again.headers["content-type"] == first.headers["content-type"]
    assert again.headers["content-length"] == str(len(first.body))


def test_a_changed_answer_renders_the_page_anew() -> None:
    cache, context = AnswerCache(), Context()
    render_kept(_request(cache), TEMPLATE, [_answer('W/"1"')], context)
    changed = render_kept(_request(cache), TEMPLATE, [_answer('W/"2"')], context)
    assert context.calls == 2 and "Styrgrupp 2" in changed.body.decode()


def test_nobody_else_is_shown_a_page_kept_for_someone() -> None:
    cache, context = AnswerCache(), Context()
    render_kept(_request(cache), TEMPLATE, [_answer()], context)
    others = [
        replace(ADA, user_id=uuid.UUID(int=2), name="Bo", token_hash=b"bo", csrf_token="csrf-bo"),
        replace(ADA, roles=("administrator",)),  # the same person with another role
        replace(ADA, token_hash=b"ada-2", csrf_token="csrf-ada-2"),  # another session of hers
    ]
    for n, other in enumerate(others, start=2):
        page = render_kept(_request(cache, other), TEMPLATE, [_answer()], context)
        assert context.calls == n
        assert other.csrf_token in page.body.decode()


def test_another_language_or_address_renders_anew() -> None:
    cache, context = AnswerCache(), Context()
    render_kept(_request(cache), TEMPLATE, [_answer()], context)
    i18n.set_locale("en")
    try:
        english = render_kept(_request(cache), TEMPLATE, [_answer()], context)
    finally:
        i18n.set_locale(i18n.DEFAULT_LOCALE)
    assert context.calls == 2 and 'lang="en"' in english.body.decode()
    render_kept(_request(cache, query=b"x=1"), TEMPLATE, [_answer()], context)
    assert context.calls == 3


def test_a_page_with_a_flash_message_is_never_kept() -> None:
    cache, context = AnswerCache(), Context()
    for _round in range(2):
        page = render_kept(_request(cache, cookie=f"{flash.COOKIE}=saved"), TEMPLATE, [_answer()], context)
        assert "Sparat." in page.body.decode()
    assert context.calls == 2
    assert len(cache) == 0


def test_an_untagged_answer_keeps_the_page_while_its_body_is_the_same() -> None:
    # notify's failing deliveries carry no ETag: the administrator's start page was rendered every time.
    cache, context = AnswerCache(), Context()
    tagged = _answer()
    for _round in range(2):
        render_kept(_request(cache), TEMPLATE, [tagged, Answer(200, b'{"total": 1}')], context)
    assert context.calls == 1
    changed = render_kept(_request(cache), TEMPLATE, [tagged, Answer(200, b'{"total": 2}')], context)
    assert context.calls == 2 and "Styrgrupp 2" in changed.body.decode()
    render_kept(_request(cache), TEMPLATE, [tagged, Answer(500, b'{"total": 2}')], context)
    assert context.calls == 3


def test_a_part_that_could_not_be_loaded_keeps_the_page_until_it_answers() -> None:
    cache, context = AnswerCache(), Context()
    for _round in range(2):
        render_kept(_request(cache), TEMPLATE, [_answer(), None], context)
    assert context.calls == 1
    back = render_kept(_request(cache), TEMPLATE, [_answer(), Answer(200, b"{}")], context)
    assert context.calls == 2 and "Styrgrupp 2" in back.body.decode()
    render_kept(_request(cache), TEMPLATE, [_answer(), None], context)
    assert context.calls == 2  # the page from when it was down is still the one for "down"


def test_a_page_of_no_answers_at_all_is_rendered_every_time() -> None:
    cache, context = AnswerCache(), Context()
    for _round in range(2):
        render_kept(_request(cache), TEMPLATE, [], context)
    assert context.calls == 2


def test_no_cache_kept_pages_are_rendered_every_time() -> None:
    cache, context = AnswerCache(max_entries=0), Context()
    for _round in range(2):
        render_kept(_request(cache), TEMPLATE, [_answer()], context)
    assert context.calls == 2


def test_fields_of_the_services_json_read_as_jinjas_own_environment_reads_them() -> None:
    plain = Environment(autoescape=True)
    source = (
        "{{ m.title }}|{{ m.items }}|{{ m.missing }}|{{ m.missing is defined }}|{{ m.get('title') }}"
        "|{{ m.nested.inner }}|{{ m['title'] }}|{{ obj.real }}|{{ m.keys is callable }}"
        "|{% for k, v in m.items() %}{{ k }}{% endfor %}"
    )
    values = {
        "m": {"title": "<Möte>", "items": "a key named items", "nested": {"inner": 3}, "keys": [1]},
        "obj": 2j,
    }
    assert ENV.from_string(source).render(values) == plain.from_string(source).render(values)


def test_labels_with_values_are_formatted_as_jinjas_own_newstyle_gettext() -> None:
    plain = Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
    plain.install_gettext_callables(  # type: ignore[attr-defined]
        lambda m: i18n.gettext(m), lambda s, p, n: i18n.ngettext(s, p, n), newstyle=True
    )
    source = (
        '{{ _("Hej %(name)s", name=n) }}|{{ _("klart senast %(date)s", date=d) }}'
        '|{{ _("%(a)s och %(b)s, 100 %%", a=n, b=safe) }}|{{ _("%(count)d st", count=3) }}'
        '|{{ _("%(n)r", n=n) }}'
    )
    values = {"n": "<b>Å & Ö</b>", "d": None, "safe": rendering.Markup("<i>ok</i>")}
    for locale in i18n.LOCALES:
        i18n.set_locale(locale)
        try:
            assert ENV.from_string(source).render(values) == plain.from_string(source).render(values)
        finally:
            i18n.set_locale(i18n.DEFAULT_LOCALE)
