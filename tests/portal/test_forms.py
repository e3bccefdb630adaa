"""LocalDateInput, the date field drawn the page's way: on French pages a text field in
jj/mm/aaaa, elsewhere the browser's date picker in ISO."""

import datetime

from django import forms
from django.utils import translation

from portal.forms import LocalDateInput
from tests.helpers.html import elements


class DateForm(forms.Form):
    day = forms.DateField(input_formats=["%Y-%m-%d", "%d/%m/%Y"], widget=LocalDateInput())


def _input(language, value=None):
    with translation.override(language):
        html = str(DateForm(initial={"day": value})["day"])
    [field] = elements(html, lambda tag, attrs: tag == "input" and attrs.get("name") == "day")
    return field.attrs


def test_french_pages_get_a_text_field_written_day_first():
    field = _input("fr", datetime.date(2026, 12, 31))
    assert field["type"] == "text"
    assert field["placeholder"] == "jj/mm/aaaa"
    assert field["inputmode"] == "numeric"
    assert field["value"] == "31/12/2026"


def test_english_pages_get_the_browsers_date_picker_in_iso():
    field = _input("en", datetime.date(2026, 12, 31))
    assert field["type"] == "date"
    assert "placeholder" not in field
    assert field["value"] == "2026-12-31"


def test_what_was_typed_is_shown_back_as_typed():
    with translation.override("fr"):
        html = str(DateForm(data={"day": "31/02/2026"})["day"])
    [field] = elements(html, lambda tag, attrs: tag == "input" and attrs.get("name") == "day")
    assert field.attrs["value"] == "31/02/2026"
