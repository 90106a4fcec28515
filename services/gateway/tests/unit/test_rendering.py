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
