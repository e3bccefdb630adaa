"""send_renewal_reminders: who gets what, once, in which language (docs/interface.md)."""

import datetime

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from reminders import services
from reminders.models import ReminderPreference, ReminderSent, Threshold

DAY = datetime.timedelta(days=1)


def _run(today, **kwargs):
    return services.send_reminders(today=today, **kwargs)


def _recipients():
    return sorted(address for message in mail.outbox for address in message.to)


def _html(message):
    return next(content for content, mimetype in message.alternatives if mimetype == "text/html")


def test_it_sends_one_digest_to_each_manager_of_the_reseller_and_the_partner(
    today, ending_on, alpha_reseller, partner_user, reseller_user, viewer_user, other_partner_user
):
    ending_on(today + 30 * DAY, reseller=alpha_reseller, name="Acme")
    ending_on(today + 7 * DAY, reseller=alpha_reseller, name="Bolt")

    _run(today)

    # viewer is read-only, partner2 is another partner: neither is a recipient.
    assert _recipients() == ["partner@example.com", "reseller@example.com"]
    for message in mail.outbox:
        assert "Acme" in message.body and "Bolt" in message.body


def test_it_reminds_the_partner_alone_when_no_reseller_manages_the_client(
    today, ending_on, partner_user, reseller_user
):
    ending_on(today + 90 * DAY)

    _run(today)

    assert _recipients() == ["partner@example.com"]


def test_it_never_sends_the_same_reminder_twice(today, ending_on, partner_user):
    subscription = ending_on(today + 30 * DAY)

    _run(today)
    _run(today)
    _run(today + DAY)

    assert len(mail.outbox) == 1
    assert list(ReminderSent.objects.values_list("subscription_id", "threshold")) == [
        (subscription.pk, Threshold.DAYS_30)
    ]


def test_it_sends_each_threshold_when_its_day_comes(today, ending_on, partner_user):
    end = today + 90 * DAY
    ending_on(end)
    sent = []
    for day in (end - 90 * DAY, end - 60 * DAY, end - 30 * DAY, end - 7 * DAY, end, end + DAY):
        before = len(mail.outbox)
        _run(day)
        sent.append(len(mail.outbox) - before)

    assert sent == [1, 0, 1, 1, 0, 1]
    assert sorted(ReminderSent.objects.values_list("threshold", flat=True)) == [-1, 7, 30, 90]


def test_it_catches_up_with_the_latest_threshold_after_missed_days(
    today, ending_on, partner_user
):
    end = today + 20 * DAY
    ending_on(end)

    # The cron did not run on the day of the 30-day reminder: the next run sends it.
    _run(today)
    # Several days missed again, past both the 7-day mark and the end: only "expired".
    _run(end + 3 * DAY)

    assert len(mail.outbox) == 2
    assert sorted(ReminderSent.objects.values_list("threshold", flat=True)) == [-1, 30]


def test_the_first_run_sends_only_where_each_subscription_stands(
    today, ending_on, partner_user
):
    ending_on(today + 5 * DAY, name="Soon")
    ending_on(today - 10 * DAY, name="Lapsed")

    _run(today)

    assert len(mail.outbox) == 1
    assert dict(
        ReminderSent.objects.values_list("subscription__client__name", "threshold")
    ) == {"Soon": Threshold.DAYS_7, "Lapsed": Threshold.AFTER_END}


def test_it_leaves_out_renewed_not_started_and_distant_subscriptions(
    today, ending_on, make_subscription, alpha, tbox, partner_user
):
    make_subscription(alpha, tbox, start=today - 300 * DAY, end=today + 20 * DAY, renewal_years=1)
    make_subscription(alpha, tbox, start=today + 10 * DAY, end=today + 40 * DAY)
    ending_on(today + 91 * DAY)

    result = _run(today)

    assert result.reminders == []
    assert mail.outbox == []


def test_the_next_term_gets_its_own_reminders_after_a_renewal(
    today, ending_on, partner_user, grant, alpha, tbox
):
    subscription = ending_on(today + 7 * DAY)
    _run(today)
    grant(alpha, tbox, 100)
    from subscriptions.services import renew_subscription

    renew_subscription(actor=partner_user, subscription_id=subscription.pk, years=1, today=today)
    subscription.refresh_from_db()

    _run(subscription.term_end - 7 * DAY)

    assert len(mail.outbox) == 2


def test_a_user_who_turned_reminders_off_gets_none(
    today, ending_on, alpha_reseller, partner_user, reseller_user
):
    ReminderPreference.objects.create(user=partner_user, reminders_enabled=False)
    ending_on(today + 30 * DAY, reseller=alpha_reseller)

    _run(today)

    assert _recipients() == ["reseller@example.com"]


def test_the_digest_is_in_the_recipients_language_with_html_and_text(
    today, ending_on, partner_user, reseller_user, alpha_reseller
):
    ReminderPreference.objects.create(user=partner_user, language="en")
    ReminderPreference.objects.create(user=reseller_user, language="fr")
    ending_on(today + 30 * DAY, reseller=alpha_reseller, name="Acme")

    _run(today)

    by_address = {message.to[0]: message for message in mail.outbox}
    english = by_address["partner@example.com"]
    french = by_address["reseller@example.com"]
    assert english.subject == "Partner Portal: 1 subscription to renew"
    assert english.extra_headers["Content-Language"] == "en"
    assert '<html lang="en">' in _html(english)
    assert "Hello partner," in english.body
    assert french.extra_headers["Content-Language"] == "fr"
    assert '<html lang="fr">' in _html(french)
    for message in (english, french):
        assert "Acme" in message.body and "Acme" in _html(message)


def test_the_links_are_absolute_and_lead_to_the_renewal_form(
    today, ending_on, partner_user, settings
):
    settings.PORTAL_BASE_URL = "https://portal.example.com"
    subscription = ending_on(today + 30 * DAY)

    _run(today)

    message = mail.outbox[0]
    renew_url = f"https://portal.example.com/subscriptions/{subscription.pk}/renew/"
    assert renew_url in message.body
    assert f'href="{renew_url}"' in _html(message)
    assert "https://portal.example.com/account/reminders/" in message.body


def test_a_dry_run_sends_and_records_nothing(today, ending_on, partner_user, capsys):
    ending_on(today + 30 * DAY, name="Acme")

    call_command("send_renewal_reminders", "--dry-run", "--today", today.isoformat())

    assert mail.outbox == []
    assert not ReminderSent.objects.exists()
    output = capsys.readouterr().out
    assert "Acme" in output and "partner@example.com" in output


def test_the_command_runs_as_of_the_given_day(today, ending_on, partner_user):
    end = today + 200 * DAY
    ending_on(end)

    call_command("send_renewal_reminders")
    assert mail.outbox == []
    call_command("send_renewal_reminders", "--today", (end - 7 * DAY).isoformat())

    assert len(mail.outbox) == 1


def test_the_command_refuses_a_malformed_day(db):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("send_renewal_reminders", "--today", "26/11/2026")


class _FailingConnection:
    def __init__(self, exception):
        self.exception = exception

    def send_messages(self, messages):
        raise self.exception


def test_a_digest_that_cannot_be_sent_is_retried_on_the_next_run(
    today, ending_on, partner_user
):
    ending_on(today + 30 * DAY)

    result = _run(today, connection=_FailingConnection(OSError("mail server down")))
    assert result.failed == 1
    assert not ReminderSent.objects.exists()

    _run(today)
    assert len(mail.outbox) == 1


def test_an_interrupted_run_leaves_nothing_behind_and_the_next_run_catches_up(
    today, ending_on, partner_user
):
    ending_on(today + 30 * DAY)
    ending_on(today + 7 * DAY)

    with pytest.raises(KeyboardInterrupt):
        _run(today, connection=_FailingConnection(KeyboardInterrupt()))
    assert not ReminderSent.objects.exists()

    _run(today + DAY)
    assert len(mail.outbox) == 1
    assert ReminderSent.objects.count() == 2
