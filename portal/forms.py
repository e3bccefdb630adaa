"""What every app's forms share: the look of their widgets. It lives here, not in one app,
so that no app borrows another app's screens to draw its forms."""

from django import forms
from django.utils import translation
from django.utils.translation import gettext


class BootstrapFormMixin:
    """Bootstrap 5 classes and ARIA attributes on every widget, errors included."""

    def _apply_bootstrap(self):
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.HiddenInput):
                continue
            if isinstance(widget, forms.RadioSelect | forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            if self._errors and name in self._errors:
                css += " is-invalid"
                widget.attrs["aria-invalid"] = "true"
                widget.attrs["aria-describedby"] = f"{self.auto_id % name}_error"
            widget.attrs["class"] = css

    def full_clean(self):
        super().full_clean()
        self._apply_bootstrap()

    def add_error(self, field, error):
        super().add_error(field, error)
        self._apply_bootstrap()


class LocalDateInput(forms.DateInput):
    """A date field that shows dates the page's way. A browser's own date picker follows
    the browser's language, not the page's, and shows mm/dd/yyyy to a French user of an
    English browser: French pages get a text field in dd/mm/yyyy (the fields accept it
    and ISO dates alike), other languages the browser's picker, in ISO."""

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")

    def _french(self):
        return translation.get_language() == "fr"

    def format_value(self, value):
        if self._french() and hasattr(value, "strftime"):
            return value.strftime("%d/%m/%Y")
        return super().format_value(value)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget_attrs = context["widget"]["attrs"]
        if self._french():
            context["widget"]["type"] = "text"
            widget_attrs.update(
                inputmode="numeric", autocomplete="off", maxlength="10",
                # Translators: the placeholder of a date field on French pages.
                placeholder=gettext("dd/mm/yyyy"),
            )
        else:
            context["widget"]["type"] = "date"
        return context
