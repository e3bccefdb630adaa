"""Forms of the portal's own user management: a manager invites and manages the users of
their organization (publisher staff manage everyone in the admin)."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm, UsernameField
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy as _

from subscriptions.forms import BootstrapFormMixin

from .models import Role

User = get_user_model()

USERNAME_TAKEN = _("This username is already taken: choose another one.")
CANNOT_DEMOTE_SELF = _(
    "You cannot take away your own manager role: ask another manager of your organization."
)


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


class InvitationForm(PasswordResetForm):
    """Django's password-reset e-mail, sent to one invited user whose password is not set
    yet (the stock form skips such users, so it would never reach a new account)."""

    def __init__(self, *args, user, **kwargs):
        self.invited_user = user
        super().__init__({"email": user.email}, *args, **kwargs)

    def get_users(self, email):
        return [self.invited_user]
