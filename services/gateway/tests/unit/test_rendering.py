"""The shared form macros of the templates: errors tied to their inputs, a summary that links to them."""

from __future__ import annotations

from gateway.rendering import ENV


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


def test_labels_are_translated_escaped_and_formatted_as_jinjas_own_newstyle_gettext() -> None:
    from jinja2 import Environment

    from gateway import i18n

    plain = Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
    plain.install_gettext_callables(  # type: ignore[attr-defined]
        lambda m: i18n.gettext(m), lambda s, p, n: i18n.ngettext(s, p, n), newstyle=True
    )
    source = (
        '{{ _("Start") }}|{{ _("Sök") }}|{{ _("100 %% klart") }}|{{ _("Skälet: %(reason)s", reason=r) }}'
        '|{% autoescape false %}{{ _("Skälet: %(reason)s", reason=r) }}|{{ _("Start") }}{% endautoescape %}'
    )
    for locale in i18n.LOCALES:
        i18n.set_locale(locale)
        for _round in range(2):  # the second time from what was kept
            ours = ENV.from_string(source).render(r="<b>&</b>")
            assert ours == plain.from_string(source).render(r="<b>&</b>")
    i18n.set_locale(i18n.DEFAULT_LOCALE)
    assert "&lt;b&gt;" in ours and "<b>&</b>" in ours and "100 % klart" in ours
