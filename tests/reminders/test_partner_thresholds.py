"""A partner's own reminder days (docs/rules.md rule 16): its clients and its resellers'
clients are reminded on its days, the day after the end always stays, and every other
partner keeps the 90, 30, 7 of docs/rules.md."""

import datetime

from django.core import mail

from reminders import services
from reminders.models import ReminderSent

DAY = datetime.timedelta(days=1)


def _thresholds():
    return sorted(ReminderSent.objects.values_list("subscription__client__name", "threshold"))


def test_it_reminds_a_partners_clients_on_its_own_days(today, ending_on, alpha, partner_user):
    alpha.reminder_days = "60, 14"
    alpha.save()
    ending_on(today + 60 * DAY, name="Sixty")
    ending_on(today + 30 * DAY, name="Thirty")
    ending_on(today + 14 * DAY, name="Fourteen")

    services.send_reminders(today=today)

    # 30 days is not one of alpha's days: "Thirty" stands at its 60-day reminder.
    assert _thresholds() == [("Fourteen", 14), ("Sixty", 60), ("Thirty", 60)]
    html = next(c for c, mimetype in mail.outbox[0].alternatives if mimetype == "text/html")
    assert 'data-threshold="14"' in html and 'data-threshold="60"' in html


def test_it_applies_the_partners_days_to_its_resellers_clients(
    today, ending_on, alpha, alpha_reseller, reseller_user
):
    alpha.reminder_days = "45"
    alpha.save()
    ending_on(today + 45 * DAY, reseller=alpha_reseller, name="Acme")
    ending_on(today + 90 * DAY, reseller=alpha_reseller, name="Later")

    services.send_reminders(today=today)

    assert _thresholds() == [("Acme", 45)]
    assert [message.to for message in mail.outbox] == [["reseller@example.com"]]


def test_it_keeps_the_contract_days_for_a_partner_without_its_own(
    today, ending_on, alpha, beta, partner_user, other_partner_user
):
    alpha.reminder_days = "60"
    alpha.save()
    ending_on(today + 90 * DAY, partner=beta, name="Beta 90")
    ending_on(today + 7 * DAY, partner=beta, name="Beta 7")

    services.send_reminders(today=today)

    assert _thresholds() == [("Beta 7", 7), ("Beta 90", 90)]


def test_it_always_sends_the_day_after_the_end(today, ending_on, alpha, partner_user):
    alpha.reminder_days = "20"
    alpha.save()
    ending_on(today - DAY, name="Lapsed")

    services.send_reminders(today=today)

    assert _thresholds() == [("Lapsed", -1)]


def test_it_sends_each_of_the_partners_days_once_and_catches_up(
    today, ending_on, alpha, partner_user
):
    alpha.reminder_days = "60,21"
    alpha.save()
    ending_on(today + 60 * DAY, name="Acme")

    services.send_reminders(today=today)
    services.send_reminders(today=today + DAY)
    # Missed days: the run 50 days later sends where Acme stands, 21 days before, once.
    services.send_reminders(today=today + 50 * DAY)
    services.send_reminders(today=today + 51 * DAY)

    assert _thresholds() == [("Acme", 21), ("Acme", 60)]
    assert len(mail.outbox) == 2


def test_it_reminds_nobody_of_a_subscription_marked_not_renewing(
    alpha, tbox, make_subscription, today
):
    from reminders.services import exclude_not_renewing
    from subscriptions.models import Subscription

    kept = make_subscription(alpha, tbox, end=today + datetime.timedelta(days=20))
    marked = make_subscription(alpha, tbox, end=today + datetime.timedelta(days=20))
    Subscription.objects.filter(pk=marked.pk).update(not_renewing_reason="price")
    rows = exclude_not_renewing(Subscription.objects.filter(pk__in=[kept.pk, marked.pk]))
    assert list(rows.values_list("pk", flat=True)) == [kept.pk]
