"""Rule 23 (docs/rules.md): run_auto_renewals renews what falls due, once per end date,
as a manual renewal would; a pool that cannot pay changes nothing and tells the managers
once a day, until the grace period ends."""

import datetime
import io

import pytest
from django.core import mail
from django.core.management import call_command

from subscriptions import services
from subscriptions.models import AutoRenewClaim, AutoRenewNotice, LicenseMovement, Subscription
from subscriptions.services import auto_renewal

from .helpers import DAY, TODAY, balance, ledger_sum, snapshot, status_of


@pytest.fixture(autouse=True)
def auto_rules(settings):
    settings.AUTO_RENEW_LEAD_DAYS = 7
    settings.AUTO_RENEW_GRACE_DAYS = 30


@pytest.fixture
def due(alpha, tbox, make_subscription, grant, partner_user):
    """Alpha's 7-user TBox subscription ending in 7 days, auto-renewing; 100 in the pool."""
    grant(alpha, tbox, 100)
    subscription = make_subscription(
        alpha, tbox, start=datetime.date(2024, 6, 23), end=TODAY + 7 * DAY, users=7
    )
    Subscription.objects.filter(pk=subscription.pk).update(auto_renew=True)
    return subscription


def run(today=TODAY, *extra):
    out = io.StringIO()
    call_command("run_auto_renewals", "--today", today.isoformat(), *extra, stdout=out)
    return out.getvalue()


def test_renews_at_the_lead_days_boundary_as_the_system(due, alpha, tbox):
    output = run()
    assert f"renewed subscription {due.pk}" in output
    due.refresh_from_db()
    assert (due.term_start, due.term_end, due.users, due.years) == (
        TODAY + 8 * DAY, datetime.date(2026, 6, 22), 7, 1
    )
    assert balance(alpha, tbox) == 93 == ledger_sum(alpha, tbox)
    line = LicenseMovement.objects.filter(subscription=due).latest("pk")
    assert (line.quantity, line.actor, line.note) == (-7, None, "Automatic renewal")
    assert status_of(due) == "renewed"


def test_one_day_before_the_lead_days_nothing_is_due(due):
    before = snapshot()
    assert "0 due" in run(TODAY - DAY)
    assert snapshot() == before


def test_an_expired_one_restarts_today(alpha, tbox, make_subscription, grant):
    grant(alpha, tbox, 10)
    gone = make_subscription(
        alpha, tbox, start=datetime.date(2024, 6, 1), end=datetime.date(2025, 5, 31), users=3
    )
    Subscription.objects.filter(pk=gone.pk).update(auto_renew=True)
    run()
    gone.refresh_from_db()
    assert (gone.term_start, gone.term_end) == (TODAY, datetime.date(2026, 6, 14))
    assert balance(alpha, tbox) == 7


def test_the_plan_gives_the_quantity_and_is_used_up(due, alpha, tbox):
    services.set_renewal_plan(actor=None, subscription_id=due.pk, users=12, years=2,
                              auto_renew=True)
    run()
    due.refresh_from_db()
    assert (due.users, due.years, due.renewal_users, due.renewal_years) == (12, 2, None, None)
    assert balance(alpha, tbox) == 100 - 24


def test_once_per_end_date_however_many_runs(due, alpha, tbox):
    run()
    again = run()
    assert "0 due" in again
    assert balance(alpha, tbox) == 93
    assert AutoRenewClaim.objects.filter(subscription=due).count() == 1


def test_an_undone_automatic_renewal_is_not_renewed_again_for_that_end(
    due, alpha, tbox, partner_user
):
    run()
    refund = services.cancel_renewal(actor=partner_user, subscription_id=due.pk)
    assert refund == 7
    assert balance(alpha, tbox) == 100 == ledger_sum(alpha, tbox)
    assert status_of(due) == "expiring"
    assert "0 due" in run()
    assert balance(alpha, tbox) == 100


def test_dry_run_writes_nothing(due):
    before = snapshot()
    output = run(TODAY, "--dry-run")
    assert f"would renew subscription {due.pk}" in output
    assert "7 users x 1 years = 7 licenses" in output
    assert snapshot() == before
    assert not AutoRenewClaim.objects.exists()


def test_a_short_pool_changes_nothing_and_tells_the_managers_once_a_day(
    alpha, tbox, make_subscription, grant, partner_user, viewer_user
):
    grant(alpha, tbox, 4)
    short = make_subscription(alpha, tbox, start=datetime.date(2024, 6, 20),
                              end=TODAY + 3 * DAY, users=7)
    Subscription.objects.filter(pk=short.pk).update(auto_renew=True)
    before = snapshot()
    output = run()
    assert f"refused subscription {short.pk}" in output and "3 missing" in output
    assert snapshot() == before
    # The managers only (the read-only member gets nothing), in the portal's language.
    assert [message.to for message in mail.outbox] == [[partner_user.email]]
    assert "il manque 3 licences à Alpha Distribution" in mail.outbox[0].body
    run()
    assert len(mail.outbox) == 1
    run(TODAY + DAY)
    assert len(mail.outbox) == 2
    assert AutoRenewNotice.objects.filter(subscription=short).count() == 2
    short.refresh_from_db()
    assert short.auto_renew


def test_the_grace_period_end_switches_auto_renew_off(
    alpha, tbox, make_subscription, grant, partner_user
):
    grant(alpha, tbox, 1)
    gone = make_subscription(alpha, tbox, start=datetime.date(2024, 5, 1),
                             end=TODAY - 29 * DAY, users=7)
    Subscription.objects.filter(pk=gone.pk).update(auto_renew=True)
    run()  # expired for 29 days: tried again
    gone.refresh_from_db()
    assert gone.auto_renew
    output = run(TODAY + DAY)  # 30 days
    assert "auto-renew switched off" in output
    gone.refresh_from_db()
    assert not gone.auto_renew
    assert "désactivé" in mail.outbox[-1].subject
    assert "0 due" in run(TODAY + 2 * DAY)


def test_a_queued_renewal_or_the_not_renewing_mark_leaves_it_alone(
    due, alpha, tbox, partner_user
):
    services.renew_subscription(actor=partner_user, subscription_id=due.pk, years=1,
                                today=TODAY)
    assert "0 due" in run()
    assert balance(alpha, tbox) == 93


def test_marking_not_renewing_switches_auto_renew_off(alpha, tbox, make_subscription, grant,
                                                      partner_user):
    grant(alpha, tbox, 100)
    ending = make_subscription(alpha, tbox, start=datetime.date(2024, 6, 20),
                               end=TODAY + 3 * DAY, users=7)
    Subscription.objects.filter(pk=ending.pk).update(auto_renew=True)
    # mark_not_renewing reads today's status: a subscription that expires soon in any year.
    today = services.renewal.local_today()
    Subscription.objects.filter(pk=ending.pk).update(
        term_start=today - 360 * DAY, term_end=today + 5 * DAY
    )
    services.mark_not_renewing(actor=partner_user, subscription_id=ending.pk, reason="price")
    ending.refresh_from_db()
    assert not ending.auto_renew
    assert "0 due" in run(today)


def test_the_run_renews_in_end_date_order_until_the_pool_is_short(
    alpha, tbox, make_subscription, grant
):
    grant(alpha, tbox, 10)
    first = make_subscription(alpha, tbox, start=datetime.date(2024, 6, 16),
                              end=TODAY + DAY, users=6)
    second = make_subscription(alpha, tbox, start=datetime.date(2024, 6, 17),
                               end=TODAY + 2 * DAY, users=6)
    Subscription.objects.filter(pk__in=[first.pk, second.pk]).update(auto_renew=True)
    outcomes = auto_renewal.run_auto_renewals(today=TODAY)
    assert [o.outcome for o in outcomes] == ["renewed", "short"]
    assert outcomes[1].missing == 2
    assert balance(alpha, tbox) == 4


def test_the_monthly_report_counts_automatic_renewals_apart(due, alpha, tbox, partner_user,
                                                           make_subscription):
    from subscriptions.reports import monthly_report
    from subscriptions.services.renewal import local_today

    manual = make_subscription(alpha, tbox, start=datetime.date(2024, 6, 23),
                               end=TODAY + 7 * DAY, users=2)
    services.renew_subscription(actor=partner_user, subscription_id=manual.pk, years=1,
                                today=TODAY)
    run()
    [line] = monthly_report(local_today())
    assert (line.renewals, line.automatic_renewals) == (2, 1)
