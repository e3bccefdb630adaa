from django import forms
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from portal.forms import BootstrapFormMixin

from .events import EventType
from .services.addresses import AddressRefused, check_url

_REFUSALS = {
    "scheme": _("Enter a URL that starts with http:// or https://."),
    "unresolved": _("This address’s host name cannot be found."),
    "private": _(
        "This address points to a loopback or private network: webhooks are only sent "
        "to public addresses."
    ),
}


class EndpointForm(BootstrapFormMixin, forms.Form):
    url = forms.URLField(
        label=_("URL"), max_length=500, assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
        error_messages={"invalid": _REFUSALS["scheme"]},
        help_text=_("Each event is sent to it as a signed POST."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=EventType.choices, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one event.")},
    )

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            check_url(url)
        except AddressRefused as refusal:
            raise forms.ValidationError(
                _REFUSALS[refusal.reason], code=refusal.reason
            ) from refusal
        return url
