"""Every write of the portal's user management: a manager invites, changes the role of,
deactivates or reactivates the users of their own organization, sends an invitation again,
and a partner's manager saves the partner's settings (docs/rules.md, rule 16).

Each function checks who acts before it writes, whatever screen called it: an actor who
is not a manager of an organization, or a user or organization outside it, is refused
with PermissionDenied and nothing is written. A refusal the actor can act upon (a taken
username, their own demotion) is an AccountRefused carrying the message to show.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import transaction
from django.forms import ChoiceField
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audit.models import Action
from audit.services import organization_of, record

from .invitations import send_invitation
from .models import Membership, Organization, OrganizationKind, Role, Scope, parse_reminder_days

User = get_user_model()

USERNAME_TAKEN = _("This username is already taken: choose another one.")
CANNOT_DEMOTE_SELF = _(
    "You cannot take away your own manager role: ask another manager of your organization."
)
CANNOT_DEACTIVATE_SELF = _("You cannot deactivate your own account.")
# The renewal window a partner may choose, in months (the database checks it too).
RENEWAL_WINDOW_MONTHS = (1, 12)


class AccountRefused(Exception):
    """A write refused for a reason the actor can fix or should know; `field` names the
    form field the message belongs to, if any."""

    def __init__(self, message, *, field=None, code=""):
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.code = code


def _managing_scope(actor):
    """The actor's scope when they manage the users of an organization; publisher staff,
    who belong to none, manage accounts in the admin."""
    scope = Scope.for_user(actor)
    if not scope.can_manage or scope.organization_id is None:
        raise PermissionDenied
    return scope


def _check_role(role):
    if role not in Role.values:
        # Django's own words (and translation) for a value outside a menu.
        raise AccountRefused(
            ChoiceField.default_error_messages["invalid_choice"] % {"value": role},
            field="role",
            code="invalid_choice",
        )


def _own_member(scope, member):
    if not Membership.objects.filter(
        user_id=member.pk, organization_id=scope.organization_id
    ).exists():
        raise PermissionDenied


def user_invite(
    *, actor, username, email, role, first_name="", last_name="", domain, use_https
):
    """A new user of the actor's organization, without a password: the e-mailed link lets
    them choose one. Returns the user.

    The e-mail leaves once the user and their membership are written together; if sending
    fails the account stays, and the invitation can be sent again.
    """
    scope = _managing_scope(actor)
    _check_role(role)
    user = _create_invited_user(
        scope,
        actor=actor,
        username=username,
        email=email,
        role=role,
        first_name=first_name,
        last_name=last_name,
    )
    send_invitation(
        user=user,
        inviter=actor,
        organization_name=scope.organization_name,
        domain=domain,
        use_https=use_https,
    )
    return user


@transaction.atomic
def _create_invited_user(scope, *, actor, username, email, role, first_name, last_name):
    # Usernames are unique whatever their case, so an invitation cannot shadow an
    # account of another organization that differs only by case.
    if User.objects.filter(username__iexact=username).exists():
        raise AccountRefused(USERNAME_TAKEN, field="username", code="taken")
    user = User(username=username, email=email, first_name=first_name, last_name=last_name)
    # No password until the invited person chooses one through the e-mailed link.
    user.set_unusable_password()
    user.save()
    Membership.objects.create(user=user, organization_id=scope.organization_id, role=role)
    record(Action.MEMBER_INVITED, actor=actor, target=user, after={"email": email, "role": role})
    return user


def invitation_resend(*, actor, member, domain, use_https):
    """The invitation again, to a user who has not chosen a password yet and may still
    log in; anyone else is refused (they would get a password-reset link they never
    asked for)."""
    scope = _managing_scope(actor)
    _own_member(scope, member)
    if member.has_usable_password() or not member.is_active:
        raise AccountRefused(
            gettext("%(username)s has already chosen a password.") % {"username": member},
            code="password_chosen",
        )
    send_invitation(
        user=member,
        inviter=actor,
        organization_name=scope.organization_name,
        domain=domain,
        use_https=use_https,
    )


@transaction.atomic
def membership_change_role(*, actor, member, role):
    """The member's new role. A manager cannot demote themselves: an organization must
    not lose its last manager by a slip, so another manager has to do it."""
    scope = _managing_scope(actor)
    _check_role(role)
    if member.pk == actor.pk and role != Role.MANAGER:
        raise AccountRefused(CANNOT_DEMOTE_SELF, field="role", code="self")
    memberships = Membership.objects.filter(
        user_id=member.pk, organization_id=scope.organization_id
    )
    before = memberships.select_for_update().values_list("role", flat=True).first()
    if before is None:
        raise PermissionDenied
    memberships.update(role=role)
    record(Action.ROLE_CHANGED, actor=actor, target=member, before={"role": before},
           after={"role": role})


@transaction.atomic
def user_set_active(*, actor, member, active):
    """Deactivates (or reactivates) a member: a deactivated user can no longer log in. The
    actor's own account is refused both ways, so that no one locks themselves out."""
    scope = _managing_scope(actor)
    if member.pk == actor.pk:
        raise AccountRefused(CANNOT_DEACTIVATE_SELF, code="self")
    changed = User.objects.filter(
        pk=member.pk, membership__organization_id=scope.organization_id
    ).update(is_active=active)
    if not changed:
        raise PermissionDenied
    record_active(actor=actor, member=member, was_active=member.is_active, active=active)


def user_deactivate(*, actor, member):
    user_set_active(actor=actor, member=member, active=False)


def user_reactivate(*, actor, member):
    user_set_active(actor=actor, member=member, active=True)


@transaction.atomic
def organization_update_settings(
    *, actor, organization, renewal_window_months, reminder_days, require_mfa=None,
    auto_renew_new_clients=None,
):
    """A partner's renewal window (None: the portal's default), reminder days (text,
    stored normalised latest first; empty: the default), two-factor requirement and
    whether its new clients renew automatically (rule 23; None: unchanged for both), set
    by the partner's managers only: its resellers follow the partner's settings."""
    scope = _managing_scope(actor)
    if scope.kind != OrganizationKind.PARTNER or organization.pk != scope.organization_id:
        raise PermissionDenied
    try:
        if renewal_window_months is not None:
            MinValueValidator(RENEWAL_WINDOW_MONTHS[0])(renewal_window_months)
            MaxValueValidator(RENEWAL_WINDOW_MONTHS[1])(renewal_window_months)
    except ValidationError as error:
        raise AccountRefused(
            error.messages[0], field="renewal_window_months", code=error.code
        ) from None
    try:
        days = parse_reminder_days(reminder_days)
    except ValidationError as error:
        raise AccountRefused(error.messages[0], field="reminder_days", code=error.code) from None
    before = _settings_of(Organization.objects.select_for_update().get(pk=organization.pk))
    organization.renewal_window_months = renewal_window_months
    organization.reminder_days = ",".join(str(day) for day in days)
    # None: left as it is (callers that do not show the checkbox).
    if require_mfa is not None:
        organization.require_mfa = require_mfa
    if auto_renew_new_clients is not None:
        organization.auto_renew_new_clients = bool(auto_renew_new_clients)
    Organization.objects.filter(pk=organization.pk).update(
        renewal_window_months=organization.renewal_window_months,
        reminder_days=organization.reminder_days,
        require_mfa=organization.require_mfa,
        auto_renew_new_clients=organization.auto_renew_new_clients,
    )
    record(Action.SETTINGS_CHANGED, actor=actor, target=organization, before=before,
           after=_settings_of(organization), organization=organization)
    return organization


def password_changed(*, user, actor=None, how):
    """Records a password set (rule 24): by its owner on the change form (`how` "change")
    or through an e-mailed link (an invitation or a reset: "link"), or by staff in the
    admin ("admin"; `actor` None: the request's user). Filed under the user's
    organization, so that its managers see it; never the password itself."""
    record(Action.PASSWORD_CHANGED, actor=actor, organization=organization_of(user),
           target=user, label=user.get_username(), after={"how": how})


def record_active(*, actor, member, was_active, active, organization=None):
    """Records a member's access switched on or off (rule 24), by a manager here or by
    staff in the admin (`organization`: the member's; None: the actor's)."""
    action = Action.MEMBER_REACTIVATED if active else Action.MEMBER_DEACTIVATED
    record(action, actor=actor, organization=organization, target=member,
           before={"active": was_active}, after={"active": active})


def _settings_of(organization):
    return {
        "renewal_window_months": organization.renewal_window_months,
        "reminder_days": organization.reminder_days,
        "require_mfa": organization.require_mfa,
        "auto_renew_new_clients": organization.auto_renew_new_clients,
    }
