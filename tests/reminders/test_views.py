"""/account/reminders/: users turn reminders off for themselves."""

from reminders.models import ReminderPreference


def test_it_asks_anonymous_users_to_log_in(client, db):
    response = client.get("/account/reminders/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_user_menu_links_to_it(client, partner_user):
    client.force_login(partner_user)

    response = client.get("/")

    assert b'data-testid="reminder-preferences-link"' in response.content
    assert b'href="/account/reminders/"' in response.content


def test_a_manager_turns_reminders_off_and_chooses_a_language(client, partner_user):
    client.force_login(partner_user)
    assert client.get("/account/reminders/").status_code == 200

    response = client.post("/account/reminders/", {"language": "en"})

    assert response.status_code == 302
    preference = ReminderPreference.objects.get(user=partner_user)
    assert preference.reminders_enabled is False
    assert preference.language == "en"


def test_it_turns_them_back_on(client, partner_user):
    ReminderPreference.objects.create(user=partner_user, reminders_enabled=False)
    client.force_login(partner_user)

    client.post("/account/reminders/", {"reminders_enabled": "on", "language": "fr"})

    assert ReminderPreference.objects.get(user=partner_user).reminders_enabled is True


def test_it_refuses_an_unknown_language_and_changes_nothing(client, partner_user):
    client.force_login(partner_user)

    response = client.post("/account/reminders/", {"reminders_enabled": "on", "language": "xx"})

    assert response.status_code == 200
    assert not ReminderPreference.objects.exists()


def test_it_tells_a_read_only_user_that_reminders_go_to_managers(client, viewer_user):
    client.force_login(viewer_user)

    response = client.get("/account/reminders/")

    assert b'data-testid="no-reminders-for-role"' in response.content
