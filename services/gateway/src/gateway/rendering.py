"""Server-rendered pages: one Jinja2 environment, translated, with what every page needs in its context."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import DateTimePattern, parse_pattern
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup, escape

from gateway import csrf, flash, i18n, roles
from gateway.i18n import N_, _
from gateway.sessions import SignedIn
from gateway.upstream import Answer, AnswerCache, Outcome

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str  # a message id
    roles: tuple[str, ...]
    development_only: bool = False


NAVIGATION = (
    NavItem("/", N_("Start"), roles.SIGNED_IN),
    NavItem("/meetings", N_("Möten"), roles.READ_MEETINGS),
    NavItem("/series", N_("Mötesserier"), roles.READ_MEETINGS),
    NavItem("/events", N_("Evenemang"), roles.READ_EVENTS),
    NavItem("/volunteers", N_("Frivilliga"), roles.REQUEST_VOLUNTEERS),
    NavItem("/decisions", N_("Beslut"), roles.READ_MEETINGS),
    NavItem("/action-items", N_("Uppgifter"), roles.READ_MEETINGS),
    NavItem("/search", N_("Sök"), roles.READ_MEETINGS),
    NavItem("/imports", N_("Importera"), roles.MANAGE_MEETINGS),
    NavItem("/organisations", N_("Organisationer"), roles.READ_MEETINGS),
    NavItem("/statistics/attendance", N_("Närvaro"), roles.READ_MEETINGS),
    NavItem("/deliveries", N_("Utskick"), roles.ADMINISTER),
    NavItem("/email-templates", N_("Mejlmallar"), roles.ADMINISTER),
    NavItem("/webhooks", N_("Webhooks"), roles.MANAGE_WEBHOOKS),
    NavItem("/admin/users", N_("Administration"), roles.ADMINISTER),
    NavItem("/dev/mailbox", N_("E-postlåda"), roles.MANAGE_MEETINGS, development_only=True),
    NavItem("/account", N_("Mitt konto"), roles.SIGNED_IN),
)


# How people write a date and time (Babel's own "medium" shows seconds and, in English, a 12-hour clock):
# Swedish "1 feb. 2027 kl. 13.30" (Språkrådet's usage), English "1 Feb 2027, 13:30".
_PATTERNS = {
    "sv": {"medium": "d MMM y 'kl.' HH.mm", "short": "yyyy-MM-dd 'kl.' HH.mm"},
    "en": {"medium": "d MMM y, HH:mm", "short": "yyyy-MM-dd, HH:mm"},
}


@pass_context
def _datetime(context: Context, value: datetime | str | None, fmt: str = "medium") -> str:
    """`medium` and `short` are the page styles; anything else is a Babel pattern (form fields).
    Shown in the gateway's time zone (`zone`, from its settings, in every page's context)."""
    if value is None:
        return ""
    zone: ZoneInfo = context["zone"]
    if isinstance(value, str):
        return _formatted_text(value, fmt, i18n.current_locale(), zone)
    return _formatted(value, fmt, i18n.current_locale(), zone)


# A page shows dozens of times, each of which Babel would parse its locale and pattern for again
# (about 50 µs a time); the text for a given time, style and language never changes, so it is kept.
@lru_cache(maxsize=8_192)
def _formatted_text(value: str, fmt: str, locale: str, zone: ZoneInfo) -> str:
    return _formatted(datetime.fromisoformat(value), fmt, locale, zone)


def _formatted(value: datetime, fmt: str, locale: str, zone: ZoneInfo) -> str:
    babel_locale, pattern = _formatter(locale, fmt)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # as Babel reads a naive time
    return pattern.apply(value.astimezone(zone), babel_locale)


@lru_cache(maxsize=64)
def _formatter(locale: str, fmt: str) -> tuple[Locale, DateTimePattern]:
    pattern = _PATTERNS.get(locale, _PATTERNS["sv"]).get(fmt, fmt)
    return Locale.parse(locale), parse_pattern(pattern)


@pass_context
def _gettext(context: Context, message: str, /, **variables: Any) -> str:
    """Jinja2's newstyle gettext (translated, Markup when autoescaping, then `% variables`), with
    the answer for a label without variables kept per language."""
    if not context.eval_ctx.autoescape:
        return i18n.gettext(message) % variables
    if variables:
        translated, only_named_text = _message(i18n.current_locale(), message)
        if only_named_text:
            # What Markup's `%` gives for `%(name)s` and `%%` only, without its wrapper per value:
            # each value escaped, then put in (a page formats one such label per row of a list).
            return Markup(translated % {name: escape(value) for name, value in variables.items()})
        return Markup(translated) % variables
    return _label(i18n.current_locale(), message)


@lru_cache(maxsize=4_096)
def _label(locale: str, message: str) -> Markup:
    return Markup(i18n.translations(locale).gettext(message)) % {}


# `%%` and `%(name)s` are all a message may hold for the quick way; `%(n)d`, `%s` and the rest go
# through Markup's own `%`.
_NAMED_TEXT = re.compile(r"%%|%\(\w+\)s")


@lru_cache(maxsize=4_096)
def _message(locale: str, message: str) -> tuple[str, bool]:
    translated = i18n.translations(locale).gettext(message)
    return translated, "%" not in _NAMED_TEXT.sub("", translated)


# What a plain dict answers as attributes (`items`, `get`, ...): these still come first, as in Jinja2.
_DICT_ATTRIBUTES = frozenset(dir(dict))


class PageEnvironment(Environment):
    """Jinja2's environment with a quicker `{{ m.title }}` on the services' JSON (plain dicts).

    Jinja2 asks for the attribute first and catches the AttributeError before it looks up the key:
    one raised exception for every field shown, about a tenth of a page's rendering. A plain dict
    has no attributes but dict's own, so the key is looked up at once; the answers are the same.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


def build_environment() -> Environment:
    env = PageEnvironment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        # Read once; in development create_app turns the check for edited templates back on.
        auto_reload=False,
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda m: i18n.gettext(m), lambda s, p, n: i18n.ngettext(s, p, n), newstyle=True
    )
    # The same answers as the newstyle `gettext` just installed, for a fraction of its cost: pages
    # show dozens of labels, each of which it translated, wrapped in Markup and formatted again.
    env.globals["gettext"] = env.globals["_"] = _gettext
    env.filters["datetime"] = _datetime
    env.globals["role_labels"] = roles.LABELS
    return env


ENV = build_environment()


def _nav(user: SignedIn | None, development: bool, path: str) -> list[dict[str, Any]]:
    if user is None:
        return []
    items = []
    for item in NAVIGATION:
        if item.development_only and not development:
            continue
        if not user.has_role(*item.roles):
            continue
        current = path == item.path or (item.path != "/" and path.startswith(item.path + "/"))
        items.append({"path": item.path, "label": i18n.gettext(item.label), "current": current})
    return items


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    settings = request.app.state.settings
    user: SignedIn | None = getattr(request.state, "user", None)
    response = HTMLResponse(status_code=status_code)
    if user is None:
        csrf.ensure_pre_session(request, response)
    flash_message = flash.take(request, response)
    html = ENV.get_template(template).render(
        request=request,
        user=user,
        locale=i18n.current_locale(),
        languages=i18n.LANGUAGE_NAMES,
        csrf_token=csrf.expected_token(request) or "",
        flash=i18n.gettext(flash_message) if flash_message else None,
        nav=_nav(user, settings.development, request.url.path),
        development=settings.development,
        oidc_enabled=settings.oidc_enabled,
        oidc_label=settings.oidc_label,
        path=request.url.path,
        zone=settings.zone,
        **context,
    )
    response.body = response.render(html)
    response.headers["content-length"] = str(len(response.body))
    return response


def problem(request: Request, status_code: int, heading: str, message: str) -> HTMLResponse:
    """The error page: what went wrong (`heading`) and what to do now (`message`)."""
    return render(request, "pages/error.html", status_code=status_code, heading=heading, message=message)


def refused(request: Request, outcome: Outcome) -> HTMLResponse:
    """The service's reason for refusing a button's POST, on an error page."""
    status_code = outcome.status_code if 400 <= outcome.status_code < 500 else 502
    return problem(request, status_code, _("Det gick inte"), outcome.message)


def render_kept(
    request: Request,
    template: str,
    answers: Sequence[Answer | None],
    context: Callable[[], Mapping[str, Any]],
) -> HTMLResponse:
    """`render`, or the page this person was last shown for the same answers, without rendering again.

    A page made only from the services' answers is a function of those answers, the person and
    their session (name, roles, CSRF token), the language and the address. Each answer's ETag is the
    service's word that its body is still what it would answer now (it is asked again on every
    request), so with the same tags the same page comes out. An answer without an ETag (a route
    with none) stands in the key by a digest of its status and body, which is just as exact; a part
    that could not be loaded (None: its card says so) by that fact, so the page renders again once
    it answers.
    Kept in the gateway's answer cache (`AnswerCache`, bounded by its entries and bytes), keyed by all
    of that: nobody else's page, never one from before a change. Pages carrying a flash message, or
    made from no answer at all, are rendered every time. `context` is only called when the page is
    rendered.
    """
    key = _page_key(request, template, answers)
    cache: AnswerCache | None = getattr(getattr(request.app.state, "upstream", None), "cache", None)
    if key is not None and cache is not None:
        kept = cache.get(key)
        if kept is not None:
            return HTMLResponse(kept.content, status_code=kept.status_code)
    response = render(request, template, **context())
    if key is not None and cache is not None and "set-cookie" not in response.headers:
        cache.put(key, Answer(response.status_code, bytes(response.body)))
    return response


def _page_key(request: Request, template: str, answers: Sequence[Answer | None]) -> Hashable | None:
    user: SignedIn | None = getattr(request.state, "user", None)
    if user is None or not answers or flash.COOKIE in request.cookies:
        return None
    tags = tuple(_tag(answer) for answer in answers)
    return (
        "page",
        template,
        user,
        i18n.current_locale(),
        request.url.path,
        request.scope.get("query_string", b""),
        tags,
    )


def _tag(answer: Answer | None) -> Hashable:
    """What stands for one answer in a kept page's key: what the page could differ by."""
    if answer is None:
        return ("unavailable",)
    if answer.etag is not None:
        return (answer.status_code, answer.etag)
    return (answer.status_code, "body", hashlib.blake2b(answer.content, digest_size=16).digest())
