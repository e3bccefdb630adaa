"""Rule 24 beyond the portal's own pages: a logout, a password set (by its owner, through
an e-mailed link, by staff in the admin) and staff's changes to memberships, roles and
access rights in the admin are each recorded, with who and the values before and after."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import Membership, Role
from audit.models import Action, AuditEntry
from tests.audit.test_api_and_admin import _form_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]
ADDRESS = "198.51.100.7"
NEW_PASSWORD = "a-new-Passphrase-47"


def signed_in(user, address=ADDRESS):
    client = HttpClient(REMOTE_ADDR=address)
    client.force_login(user)
    return client


def test_a_logout_is_recorded_in_the_members_organization(alpha, partner_user):
    client = signed_in(partner_user)

    assert client.post(reverse("logout")).status_code == 302

    [row] = AuditEntry.objects.filter(action=Action.LOGOUT)
    assert (row.actor, row.organization_id, row.ip_address) == (partner_user, alpha.pk, ADDRESS)


def test_a_password_changed_by_its_owner_is_recorded_and_never_the_password(
    alpha, partner_user
):
    client = signed_in(partner_user)
    answer = client.post(reverse("password_change"), {
        "old_password": "partner", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
    })

    assert answer.status_code == 302
    partner_user.refresh_from_db()
    assert partner_user.check_password(NEW_PASSWORD)
    [row] = AuditEntry.objects.filter(action=Action.PASSWORD_CHANGED)
    assert (row.actor, row.organization_id) == (partner_user, alpha.pk)
    assert row.after == {"how": "change"}
    assert NEW_PASSWORD not in str(row.after) + str(row.before)


def test_a_wrong_old_password_changes_nothing_and_records_nothing(partner_user):
    client = signed_in(partner_user)
    answer = client.post(reverse("password_change"), {
        "old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
    })

    assert answer.status_code == 200
    partner_user.refresh_from_db()
    assert partner_user.check_password("partner")
    assert not AuditEntry.objects.filter(action=Action.PASSWORD_CHANGED).exists()


def test_a_password_set_through_the_emailed_link_is_recorded_as_the_users(alpha, viewer_user):
    client = HttpClient(REMOTE_ADDR=ADDRESS)
    uid = urlsafe_base64_encode(force_bytes(viewer_user.pk))
    token = default_token_generator.make_token(viewer_user)
    form_page = client.get(reverse("password_reset_confirm", args=[uid, token]), follow=True)
    assert form_page.status_code == 200

    answer = client.post(form_page.redirect_chain[-1][0], {
        "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
    })

    assert answer.status_code == 302
    [row] = AuditEntry.objects.filter(action=Action.PASSWORD_CHANGED)
    assert (row.actor, row.organization_id, row.after) == (viewer_user, alpha.pk, {"how": "link"})
    assert row.ip_address == ADDRESS


def test_a_password_staff_set_in_the_admin_is_recorded_as_staffs(admin_user, alpha, viewer_user):
    client = signed_in(admin_user)
    url = reverse("admin:auth_user_password_change", args=[viewer_user.pk])

    answer = client.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert answer.status_code == 302, answer.content.decode()[:2000]
    [row] = AuditEntry.objects.filter(action=Action.PASSWORD_CHANGED)
    assert (row.actor, row.organization_id, row.after) == (admin_user, alpha.pk, {"how": "admin"})
    assert row.object_id == str(viewer_user.pk)


def _user_change(client, user):
    url = reverse("admin:auth_user_change", args=[user.pk])
    data = _form_data(client.get(url))
    # A browser sends nothing for an empty multiple choice, nor for the inlines' template.
    for name in ("groups", "user_permissions"):
        if not data.get(name):
            data.pop(name, None)
    return url, {name: value for name, value in data.items() if "__prefix__" not in name}


def test_a_role_staff_change_on_the_users_page_is_recorded(admin_user, alpha, viewer_user):
    client = signed_in(admin_user)
    url, data = _user_change(client, viewer_user)
    [role_field] = [name for name in data if name.endswith("-0-role")]
    data[role_field] = Role.MANAGER

    answer = client.post(url, data)

    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert Membership.objects.get(user=viewer_user).role == Role.MANAGER
    [row] = AuditEntry.objects.filter(action=Action.ROLE_CHANGED)
    assert (row.actor, row.organization_id) == (admin_user, alpha.pk)
    assert (row.before, row.after) == ({"role": Role.READ_ONLY}, {"role": Role.MANAGER})


def test_access_rights_and_deactivation_in_the_admin_are_recorded(admin_user, alpha, viewer_user):
    client = signed_in(admin_user)
    url, data = _user_change(client, viewer_user)
    data.pop("is_active", None)
    data["is_staff"] = "on"

    answer = client.post(url, data)

    assert answer.status_code == 302, answer.content.decode()[:2000]
    [off] = AuditEntry.objects.filter(action=Action.MEMBER_DEACTIVATED)
    assert (off.actor, off.organization_id, off.after) == (admin_user, alpha.pk, {"active": False})
    [rights] = AuditEntry.objects.filter(action=Action.PERMISSIONS_CHANGED)
    assert (rights.before, rights.after) == ({"is_staff": False}, {"is_staff": True})


def test_a_membership_added_and_removed_in_the_admin_is_recorded(admin_user, alpha, beta):
    newcomer = get_user_model().objects.create_user("newcomer", "new@example.com", "x")
    client = signed_in(admin_user)
    url, data = _user_change(client, newcomer)
    prefix = next(name for name in data if name.endswith("-TOTAL_FORMS"))[: -len("-TOTAL_FORMS")]
    data.update({f"{prefix}-TOTAL_FORMS": "1", f"{prefix}-0-organization": str(beta.pk),
                 f"{prefix}-0-role": Role.READ_ONLY})

    assert client.post(url, data).status_code == 302
    [added] = AuditEntry.objects.filter(action=Action.MEMBERSHIP_ADDED)
    assert (added.organization_id, added.object_id) == (beta.pk, str(newcomer.pk))
    assert added.after == {"organization": beta.pk, "role": Role.READ_ONLY}

    url, data = _user_change(client, newcomer)
    data[f"{prefix}-0-DELETE"] = "on"
    assert client.post(url, data).status_code == 302
    assert not Membership.objects.filter(user=newcomer).exists()
    [removed] = AuditEntry.objects.filter(action=Action.MEMBERSHIP_REMOVED)
    assert (removed.organization_id, removed.before) == (
        beta.pk, {"organization": beta.pk, "role": Role.READ_ONLY})
