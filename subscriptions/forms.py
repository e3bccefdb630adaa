"""The portal's forms. They check the shape of the input (numbers, ranges, dates, choices
within the user's scope); the business rules are checked again by `services.py`, which
alone writes.

Choices come from `visible_to(user)` querysets handed in by the views, so an object
outside the user's scope is an invalid choice, like a value that does not exist.
"""

from dateutil.relativedelta import relativedelta
from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from portal.forms import BootstrapFormMixin, LocalDateInput

from . import services
from .dates import local_today
from .models import Product
from .organization_menus import CappedChoiceMixin, ListedChoiceIterator, show_selected
from .services.idempotency import token_is_valid

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
# A start date further away than this is a typo, and could overflow the date range.
MAX_START_AHEAD_YEARS = 10

TOKEN_INVALID = _(
    "This form has expired or was not sent by the portal: nothing was changed. "
    "Check the figures and submit it again."
)


class TokenFormMixin:
    """The hidden one-time token every form that moves licenses carries (docs/interface.md).

    A missing, forged or stale token is refused like bad input; its single use is
    enforced by the service, which answers AlreadyDone for a token seen before.
    """

    def _check_token(self, cleaned_data):
        if not token_is_valid(self.user, cleaned_data.get("token")):
            self.add_error(None, forms.ValidationError(TOKEN_INVALID, code="token"))


class CappedOrganizationChoiceField(CappedChoiceMixin, forms.ModelChoiceField):
    """The first organizations by name and the chosen one, a name search for the others
    (organization_menus.py); resellers are labelled with their partner for staff."""


class ProductChoiceField(forms.ModelChoiceField):
    iterator = ListedChoiceIterator


def _token_field():
    return forms.CharField(widget=forms.HiddenInput, required=False, max_length=200)


def _date_widget():
    return LocalDateInput()


def _years_field(label):
    return forms.IntegerField(
        label=label, min_value=1, max_value=services.MAX_YEARS, initial=1
    )


def _users_field(label):
    return forms.IntegerField(label=label, min_value=1, max_value=services.MAX_USERS)


class RenewalForm(TokenFormMixin, BootstrapFormMixin, forms.Form):
    years = _years_field(_("Number of years of renewal"))
    users = _users_field(_("User licenses assigned"))
    token = _token_field()

    def __init__(self, *args, user, client=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        if client is not None:
            self.for_client(client)
        self._apply_bootstrap()

    def for_client(self, client):
        """Names the client in the users field's label (a form only checked, never shown,
        needs no client)."""
        self.fields["users"].label = gettext("User licenses assigned to %(client)s") % {
            "client": client.name
        }
        # A form already validated holds its bound fields, labels copied at creation: the
        # one shown again after an error must be rebuilt to carry the client's name.
        self._bound_fields_cache.pop("users", None)

    def clean(self):
        cleaned_data = super().clean()
        self._check_token(cleaned_data)
        return cleaned_data


class ClientForm(TokenFormMixin, BootstrapFormMixin, forms.Form):
    """A new client and its first subscription (rule 8).

    Staff choose the partner; a partner user may choose one of its resellers; a reseller
    user creates for itself and sees neither field.
    """

    name = forms.CharField(label=_("Client name"), max_length=200)
    # Staff choose among every partner and reseller: capped menus with a name search.
    partner = CappedOrganizationChoiceField(
        label=_("Partner"), queryset=Organization.objects.none(), search_kind="partner"
    )
    reseller = CappedOrganizationChoiceField(
        label=_("Reseller"),
        queryset=Organization.objects.none(),
        required=False,
        empty_label=_("None: managed by the partner"),
        search_kind="reseller",
    )
    product = ProductChoiceField(
        label=_("Product"), queryset=Product.objects.all(), to_field_name="code"
    )
    users = _users_field(_("Number of users"))
    years = _years_field(_("Number of years"))
    start_date = forms.DateField(
        label=_("Start date"), input_formats=DATE_INPUT_FORMATS, widget=_date_widget()
    )
    token = _token_field()

    def __init__(self, *args, user, partners=None, resellers=None, today=None, **kwargs):
        self.user = user
        self.today = today or local_today()
        super().__init__(*args, **kwargs)
        self.fields["start_date"].initial = self.today
        if partners is None:
            del self.fields["partner"]
        else:
            self.fields["partner"].queryset = partners
        if resellers is None:
            del self.fields["reseller"]
        else:
            self.fields["reseller"].queryset = resellers
        show_selected(self, with_parent=partners is not None)
        self._apply_bootstrap()

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(gettext("Enter the client's name."))
        return name

    def clean_start_date(self):
        start = self.cleaned_data["start_date"]
        if start < self.today:
            raise forms.ValidationError(gettext("The start date must be today or later."))
        if start > self.today + relativedelta(years=MAX_START_AHEAD_YEARS):
            raise forms.ValidationError(
                gettext("The start date must be within %(years)s years from today.")
                % {"years": MAX_START_AHEAD_YEARS}
            )
        return start

    def clean(self):
        cleaned_data = super().clean()
        partner = cleaned_data.get("partner")
        reseller = cleaned_data.get("reseller")
        if partner is not None and reseller is not None and reseller.parent_id != partner.pk:
            self.add_error("reseller", gettext("Select one of the partner's resellers."))
        self._check_token(cleaned_data)
        return cleaned_data


class AllocationForm(TokenFormMixin, BootstrapFormMixin, forms.Form):
    """Rule 9: a partner gives licenses to one of its resellers or takes unused ones back."""

    reseller = CappedOrganizationChoiceField(
        label=_("Reseller"), queryset=Organization.objects.none(), search_kind="reseller",
        empty_label=_("Choose a reseller"),
    )
    product = ProductChoiceField(
        label=_("Product"), queryset=Product.objects.all(), to_field_name="code",
        empty_label=_("Choose a product"),
    )
    quantity = forms.IntegerField(
        label=_("Number of licenses"), min_value=1, max_value=services.MAX_QUANTITY
    )
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=[
            (services.GIVE, _("Give to the reseller")),
            (services.TAKE, _("Take back from the reseller")),
        ],
        initial=services.GIVE,
        widget=forms.RadioSelect,
    )
    token = _token_field()

    def __init__(self, *args, user, resellers, with_partner=False, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["reseller"].queryset = resellers
        show_selected(self, with_parent=with_partner)
        self._apply_bootstrap()

    def clean(self):
        cleaned_data = super().clean()
        self._check_token(cleaned_data)
        return cleaned_data


class AddUsersForm(TokenFormMixin, BootstrapFormMixin, forms.Form):
    """Users added mid-term (rule 19); the service checks the total against MAX_USERS."""

    users = _users_field(_("Users to add"))
    token = _token_field()

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["users"].initial = 1
        self._apply_bootstrap()

    def clean(self):
        cleaned_data = super().clean()
        self._check_token(cleaned_data)
        return cleaned_data


class RenewalPlanForm(BootstrapFormMixin, forms.Form):
    """Rules 22 and 23: the users and years of the next renewal (both, or neither: no
    plan) and the auto-renew switch. No token: sending it twice sets the same values."""

    auto_renew = forms.BooleanField(
        label=_("Renew automatically"), required=False,
        widget=forms.CheckboxInput(attrs={"value": "on"}),
    )
    users = forms.IntegerField(
        label=_("Users of the next renewal"), min_value=1, max_value=services.MAX_USERS,
        required=False,
    )
    years = forms.IntegerField(
        label=_("Years of the next renewal"), min_value=1, max_value=services.MAX_YEARS,
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._apply_bootstrap()

    def clean(self):
        cleaned_data = super().clean()
        if self.errors:
            return cleaned_data
        try:
            services.check_plan(cleaned_data.get("users"), cleaned_data.get("years"))
        except services.OperationRefused as refusal:
            self.add_error(refusal.field, refusal.message)
        return cleaned_data
