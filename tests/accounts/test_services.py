"""The writes of user management, called as a screen or a script would: each is allowed
for a manager of the organization, refused otherwise, and a refusal leaves everything as
it was (no row changed, no e-mail sent)."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied

from accounts import services
from accounts.models import Membership, Organization, Role

User = get_user_model()

INVITATION = {
    "username": "newbie",
    "email": "newbie@example.com",
    "role": Role.READ_ONLY,
    "domain": "portal.example.com",
    "use_https": True,
}


def _invite(actor, **changes):
    return services.user_invite(actor=actor, **{**INVITATION, **changes})


def _role(user):
    return Membership.objects.get(user=user).role


def _active(user):
    return User.objects.get(pk=user.pk).is_active


# --- inviting ---------------------------------------------------------------------------


def test_a_manager_invites_a_user_of_their_organization(partner_user, alpha, mailoutbox):
    user = _invite(partner_user, first_name="New", last_name="Bie")

    assert user.membership.organization == alpha
    assert _role(user) == Role.READ_ONLY
    assert (user.first_name, user.last_name) == ("New", "Bie")
    assert not user.has_usable_password()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["newbie@example.com"]
    assert "https://portal.example.com/accounts/reset/" in mailoutbox[0].body


@pytest.mark.parametrize("actor", ["viewer_user", "staff"])
def test_only_a_manager_of_an_organization_invites(request, actor, mailoutbox):
    with pytest.raises(PermissionDenied):
        _invite(request.getfixturevalue(actor))

    assert not User.objects.filter(username="newbie").exists()
    assert mailoutbox == []


def test_an_invitation_refuses_a_taken_username_whatever_its_case(
    partner_user, other_partner_user, mailoutbox
):
    with pytest.raises(services.AccountRefused) as refused:
        _invite(partner_user, username="PARTNER2")

    assert refused.value.field == "username"
    assert not User.objects.filter(username="PARTNER2").exists()
    assert Membership.objects.count() == 2
    assert mailoutbox == []


def test_an_invitation_refuses_an_unknown_role(partner_user, mailoutbox):
    with pytest.raises(services.AccountRefused) as refused:
        _invite(partner_user, role="owner")

    assert refused.value.field == "role"
    assert not User.objects.filter(username="newbie").exists()
    assert mailoutbox == []


# --- sending the invitation again -------------------------------------------------------


def test_an_invitation_is_sent_again_to_a_user_without_a_password(partner_user, mailoutbox):
    newbie = _invite(partner_user)

    services.invitation_resend(
        actor=partner_user, member=newbie, domain="portal.example.com", use_https=True
    )

    assert len(mailoutbox) == 2
    assert mailoutbox[1].to == ["newbie@example.com"]


def test_no_invitation_goes_to_a_user_who_chose_a_password(partner_user, viewer_user, mailoutbox):
    with pytest.raises(services.AccountRefused):
        services.invitation_resend(
            actor=partner_user, member=viewer_user, domain="portal.example.com", use_https=True
        )

    assert mailoutbox == []


def test_no_invitation_goes_to_a_deactivated_user(partner_user, mailoutbox):
    newbie = _invite(partner_user)
    services.user_deactivate(actor=partner_user, member=newbie)
    newbie.refresh_from_db()

    with pytest.raises(services.AccountRefused):
        services.invitation_resend(
            actor=partner_user, member=newbie, domain="portal.example.com", use_https=True
        )

    assert len(mailoutbox) == 1


def test_an_invitation_is_not_sent_again_for_another_organization(
    partner_user, other_partner_user, viewer_user, mailoutbox
):
    newbie = _invite(other_partner_user)

    for actor, member in ((partner_user, newbie), (viewer_user, newbie)):
        with pytest.raises(PermissionDenied):
            services.invitation_resend(
                actor=actor, member=member, domain="portal.example.com", use_https=True
            )

    assert len(mailoutbox) == 1


# --- changing a role --------------------------------------------------------------------


def test_a_manager_changes_the_role_of_a_user(partner_user, viewer_user):
    services.membership_change_role(actor=partner_user, member=viewer_user, role=Role.MANAGER)

    assert _role(viewer_user) == Role.MANAGER


def test_a_manager_cannot_demote_themselves(partner_user):
    with pytest.raises(services.AccountRefused) as refused:
        services.membership_change_role(
            actor=partner_user, member=partner_user, role=Role.READ_ONLY
        )

    assert refused.value.field == "role"
    assert _role(partner_user) == Role.MANAGER


def test_a_role_outside_the_choices_is_refused(partner_user, viewer_user):
    with pytest.raises(services.AccountRefused):
        services.membership_change_role(actor=partner_user, member=viewer_user, role="owner")

    assert _role(viewer_user) == Role.READ_ONLY


def test_roles_change_only_within_the_managers_organization(
    partner_user, viewer_user, reseller_user, other_partner_user
):
    for outsider in (reseller_user, other_partner_user):
        with pytest.raises(PermissionDenied):
            services.membership_change_role(
                actor=partner_user, member=outsider, role=Role.READ_ONLY
            )
        assert _role(outsider) == Role.MANAGER
    with pytest.raises(PermissionDenied):
        services.membership_change_role(
            actor=viewer_user, member=partner_user, role=Role.READ_ONLY
        )
    assert _role(partner_user) == Role.MANAGER


# --- deactivating and reactivating ------------------------------------------------------


def test_a_manager_deactivates_and_reactivates_a_user(partner_user, viewer_user):
    services.user_deactivate(actor=partner_user, member=viewer_user)
    assert not _active(viewer_user)

    services.user_reactivate(actor=partner_user, member=viewer_user)
    assert _active(viewer_user)


def test_a_manager_cannot_deactivate_themselves(partner_user):
    with pytest.raises(services.AccountRefused) as refused:
        services.user_deactivate(actor=partner_user, member=partner_user)

    assert refused.value.message == services.CANNOT_DEACTIVATE_SELF
    assert _active(partner_user)


def test_users_are_deactivated_only_within_the_managers_organization(
    partner_user, viewer_user, reseller_user, other_partner_user
):
    for outsider in (reseller_user, other_partner_user):
        with pytest.raises(PermissionDenied):
            services.user_deactivate(actor=partner_user, member=outsider)
        assert _active(outsider)
    with pytest.raises(PermissionDenied):
        services.user_deactivate(actor=viewer_user, member=partner_user)
    assert _active(partner_user)


# --- a partner's settings ---------------------------------------------------------------


def _settings(organization):
    organization = Organization.objects.get(pk=organization.pk)
    return organization.renewal_window_months, organization.reminder_days


def _save_settings(actor, organization, window=6, days="7, 90,30"):
    return services.organization_update_settings(
        actor=actor,
        organization=organization,
        renewal_window_months=window,
        reminder_days=days,
    )


def test_a_partners_manager_saves_its_settings_normalised(partner_user, alpha):
    _save_settings(partner_user, alpha)

    assert _settings(alpha) == (6, "90,30,7")

    _save_settings(partner_user, alpha, window=None, days="")
    assert _settings(alpha) == (None, "")


@pytest.mark.parametrize(
    "actor, organization",
    [
        ("viewer_user", "alpha"),
        ("reseller_user", "alpha_reseller"),
        ("reseller_user", "alpha"),
        ("other_partner_user", "alpha"),
        ("staff", "alpha"),
    ],
)
def test_only_the_partners_managers_save_its_settings(request, actor, organization):
    organization = request.getfixturevalue(organization)
    before = _settings(organization)

    with pytest.raises(PermissionDenied):
        _save_settings(request.getfixturevalue(actor), organization)

    assert _settings(organization) == before


@pytest.mark.parametrize(
    "window, days, field",
    [(0, "90", "renewal_window_months"), (13, "90", "renewal_window_months"),
     (3, "400", "reminder_days"), (3, "1,2,3,4,5,6", "reminder_days"),
     (3, "soon", "reminder_days")],
)
def test_settings_out_of_range_are_refused(partner_user, alpha, window, days, field):
    with pytest.raises(services.AccountRefused) as refused:
        _save_settings(partner_user, alpha, window=window, days=days)

    assert refused.value.field == field
    assert _settings(alpha) == (None, "")
