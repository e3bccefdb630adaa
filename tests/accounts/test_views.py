"""Managers invite and manage the users of their own organization from the portal."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts.models import Membership, Role
from tests.helpers.html import elements

User = get_user_model()


def login(client, user):
    client.force_login(user)
    return client


def invite(client, **data):
    payload = {"username": "newbie", "email": "newbie@example.com", "role": Role.READ_ONLY}
    payload.update(data)
    return client.post(reverse("account_user_invite"), payload)


def test_it_lists_the_users_of_the_managers_organization_only(
    client, partner_user, viewer_user, reseller_user, other_partner_user
):
    response = login(client, partner_user).get(reverse("account_users"))
    assert response.status_code == 200
    users = elements(response, lambda tag, attrs: "data-user-id" in attrs)
    ids = {int(user.attrs["data-user-id"]) for user in users}
    assert ids == {partner_user.pk, viewer_user.pk}


def test_the_user_menu_links_to_the_users_for_managers_only(client, partner_user, viewer_user):
    assert 'data-testid="account-users-link"' in login(client, partner_user).get("/").text
    assert 'data-testid="account-users-link"' not in login(client, viewer_user).get("/").text


def test_it_invites_a_user_who_chooses_a_password_through_the_emailed_link(
    client, partner_user, alpha, mailoutbox
):
    response = invite(login(client, partner_user))
    assert response.status_code == 302
    newbie = User.objects.get(username="newbie")
    assert newbie.membership.organization == alpha
    assert newbie.membership.role == Role.READ_ONLY
    assert not newbie.has_usable_password()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["newbie@example.com"]
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+)", mailoutbox[0].body).group(1)

    client.logout()
    form = client.get(link, follow=True)
    assert form.status_code == 200
    set_url = form.redirect_chain[-1][0]
    done = client.post(
        set_url, {"new_password1": "a-Long-pass-9431", "new_password2": "a-Long-pass-9431"}
    )
    assert done.status_code == 302
    newbie.refresh_from_db()
    assert newbie.check_password("a-Long-pass-9431")
    # The link works once.
    assert client.get(link, follow=True).context["validlink"] is False


def test_an_invitation_refuses_a_taken_username_whatever_its_case(
    client, partner_user, other_partner_user, mailoutbox
):
    response = invite(login(client, partner_user), username="PARTNER2")
    assert response.status_code == 200
    assert "username" in response.context["form"].errors
    assert not User.objects.filter(username="PARTNER2").exists()
    assert mailoutbox == []


def test_a_manager_changes_a_users_role(client, partner_user, viewer_user):
    url = reverse("account_user_edit", args=[viewer_user.pk])
    response = login(client, partner_user).post(url, {"role": Role.MANAGER})
    assert response.status_code == 302
    assert Membership.objects.get(user=viewer_user).role == Role.MANAGER


def test_a_manager_cannot_demote_themselves(client, partner_user):
    url = reverse("account_user_edit", args=[partner_user.pk])
    response = login(client, partner_user).post(url, {"role": Role.READ_ONLY})
    assert response.status_code == 200
    assert "role" in response.context["form"].errors
    assert Membership.objects.get(user=partner_user).role == Role.MANAGER


def test_a_manager_cannot_deactivate_themselves(client, partner_user):
    url = reverse("account_user_deactivate", args=[partner_user.pk])
    response = login(client, partner_user).post(url)
    assert response.status_code == 302
    partner_user.refresh_from_db()
    assert partner_user.is_active


def test_a_deactivated_user_can_no_longer_log_in_and_can_be_reactivated(
    client, partner_user, viewer_user
):
    login(client, partner_user).post(reverse("account_user_deactivate", args=[viewer_user.pk]))
    viewer_user.refresh_from_db()
    assert not viewer_user.is_active
    client.logout()
    response = client.post(reverse("login"), {"username": "viewer", "password": "viewer"})
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated

    login(client, partner_user).post(reverse("account_user_reactivate", args=[viewer_user.pk]))
    viewer_user.refresh_from_db()
    assert viewer_user.is_active


@pytest.mark.parametrize("name", ["account_user_edit", "account_user_deactivate"])
def test_a_manager_cannot_touch_users_of_another_organization(
    client, partner_user, reseller_user, other_partner_user, name
):
    login(client, partner_user)
    for outsider in (reseller_user, other_partner_user):
        url = reverse(name, args=[outsider.pk])
        assert client.get(url).status_code in (404, 405)
        assert client.post(url, {"role": Role.READ_ONLY}).status_code == 404
        outsider.refresh_from_db()
        assert outsider.is_active
        assert outsider.membership.role == Role.MANAGER


def test_read_only_users_get_403(client, viewer_user, partner_user, mailoutbox):
    login(client, viewer_user)
    assert client.get("/account/users/").status_code == 403
    assert client.get("/account/users/invite/").status_code == 403
    invitation = {"username": "x", "email": "x@example.com", "role": "manager"}
    assert client.post("/account/users/invite/", invitation).status_code == 403
    assert not User.objects.filter(username="x").exists()
    edit = reverse("account_user_edit", args=[partner_user.pk])
    assert client.post(edit, {"role": Role.READ_ONLY}).status_code == 403
    assert Membership.objects.get(user=partner_user).role == Role.MANAGER
    assert mailoutbox == []


def test_publisher_staff_are_sent_to_the_admin(client, staff):
    response = login(client, staff).get(reverse("account_users"))
    assert response.status_code == 302
    assert response.url == reverse("admin:auth_user_changelist")


def test_an_invitation_can_be_sent_again_until_a_password_is_chosen(
    client, partner_user, mailoutbox
):
    invite(login(client, partner_user))
    newbie = User.objects.get(username="newbie")
    client.post(reverse("account_user_resend", args=[newbie.pk]))
    assert len(mailoutbox) == 2
    newbie.set_password("chosen-Pass-123")
    newbie.save()
    client.post(reverse("account_user_resend", args=[newbie.pk]))
    assert len(mailoutbox) == 2
