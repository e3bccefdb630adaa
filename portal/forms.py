"""What every app's forms share: the look of their widgets. It lives here, not in one app,
so that no app borrows another app's screens to draw its forms."""

from django import forms


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
