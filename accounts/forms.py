"""Forms of the portal's own user management: a manager invites and manages the users of
their organization (publisher staff manage everyone in the admin)."""

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UsernameField
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy as _

from portal.forms import BootstrapFormMixin

# The invitation e-mail moved out of the screens; its old name stays importable here.
from .invitations import InvitationForm as InvitationForm
from .models import (
    DEFAULT_REMINDER_DAYS,
    MAX_REMINDER_THRESHOLDS,
    Organization,
    Role,
    parse_reminder_days,
)
from .services import CANNOT_DEMOTE_SELF, USERNAME_TAKEN

User = get_user_model()


class InviteUserForm(BootstrapFormMixin, forms.Form):
    username = UsernameField(
        label=_("Username"),
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text=_("Letters, digits and @/./+/-/_ only."),
    )
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.READ_ONLY)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._apply_bootstrap()

    def clean_username(self):
        username = self.cleaned_data["username"]
        # Usernames are unique whatever their case, so an invitation cannot shadow an
        # account of another organization that differs only by case.
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(USERNAME_TAKEN, code="taken")
        return username


class RoleForm(BootstrapFormMixin, forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def __init__(self, *args, member, acting_user, **kwargs):
        self.member = member
        self.acting_user = acting_user
        super().__init__(*args, **kwargs)
        self._apply_bootstrap()

    def clean_role(self):
        role = self.cleaned_data["role"]
        if self.member.pk == self.acting_user.pk and role != Role.MANAGER:
            raise forms.ValidationError(CANNOT_DEMOTE_SELF, code="self")
        return role


class OrganizationSettingsForm(BootstrapFormMixin, forms.ModelForm):
    """A partner's own renewal window and reminder days (docs/rules.md, rule 16)."""

    renewal_window_months = forms.IntegerField(
        label=_("Renewal window (months)"),
        min_value=1,
        max_value=12,
        required=False,
    )
    reminder_days = forms.CharField(
        label=_("Reminders (days before the end date)"),
        max_length=40,
        required=False,
    )
    require_mfa = forms.BooleanField(
        label=_("Require two-factor login for every member"),
        required=False,
        help_text=_(
            "Members without two-factor login are sent to their security page when they log "
            "in, and reach nothing else until they set it up. API tokens are not affected."
        ),
    )

    class Meta:
        model = Organization
        fields = ["renewal_window_months", "reminder_days", "require_mfa"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        default_months = settings.RENEWAL_WINDOW_MONTHS
        window = self.fields["renewal_window_months"]
        window.help_text = _(
            "From 1 to 12. Empty: the portal's default, %(months)s months."
        ) % {"months": default_months}
        window.widget.attrs["placeholder"] = str(default_months)
        days = self.fields["reminder_days"]
        default_days = ", ".join(str(day) for day in DEFAULT_REMINDER_DAYS)
        days.help_text = _(
            "Up to %(max)s numbers of days from 1 to 365, separated by commas. Empty: the "
            "portal's default, %(default)s. A reminder is always sent the day after the end."
        ) % {"max": MAX_REMINDER_THRESHOLDS, "default": default_days}
        days.widget.attrs["placeholder"] = default_days
        self._apply_bootstrap()

    def clean_reminder_days(self):
        days = parse_reminder_days(self.cleaned_data["reminder_days"])
        # Stored normalised, latest first, so the admin and the page show the same text.
        return ",".join(str(day) for day in days)


class CodeForm(BootstrapFormMixin, forms.Form):
    """A code of the second factor: from the authenticator app (6 digits) or, where the
    form says so, a recovery code."""

    code = forms.CharField(label=_("Code"), max_length=64, strip=True)

    def __init__(self, *args, label=None, **kwargs):
        super().__init__(*args, **kwargs)
        if label is not None:
            self.fields["code"].label = label
        widget = self.fields["code"].widget
        widget.attrs.update(autocomplete="one-time-code", autocapitalize="none", spellcheck="false")
        self._apply_bootstrap()
