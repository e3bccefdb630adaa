"""The dashboard's figures and the forecast kept in the database on PostgreSQL
(subscriptions/selectors/figures_kept.py) are the figures computed from every
subscription: after every kind of write, by any path (the services, a bulk `update()`,
plain SQL, a partner's window), on another day, and with writers and readers at work at
the same time."""

import datetime
import threading

import pytest
from dateutil.relativedelta import relativedelta
from django.db import connection
from django.db.models import F

from subscriptions import services
from subscriptions.dates import local_today
from subscriptions.models import (
    Client,
    FigureDay,
    FigureRow,
    FiguresBuckets,
    FiguresChange,
    FiguresState,
    NotRenewingReason,
    Subscription,
    Term,
)
from subscriptions.selectors import figures_kept
from subscriptions.selectors.figures import scope_figures

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="kept on PostgreSQL only: SQLite computes the figures on every read",
    ),
]


@pytest.fixture(autouse=True, params=[1000, 2], ids=["whole", "in-buckets"])
def bucket_size(request, monkeypatch):
    """Every test twice: each paying organization kept whole, and every one with more than
    two subscriptions split into buckets of clients (as the large ones are)."""
    monkeypatch.setattr(figures_kept, "BUCKET_SUBSCRIPTIONS", request.param)
    return request.param


def _kept_and_computed(user, settings):
    settings.KEPT_FIGURES = True
    kept = scope_figures(user)
    settings.KEPT_FIGURES = False
    computed = scope_figures(user)
    settings.KEPT_FIGURES = True
    return kept, computed


def assert_kept_right(settings, *users):
    for user in users:
        kept, computed = _kept_and_computed(user, settings)
        assert kept == computed, user.username


@pytest.fixture
def channel(alpha, alpha_reseller, beta, tbox, tsend, grant, make_subscription, today):
    """Subscriptions of every status and pools that run dry, in two partners' scopes."""
    for organization, product, quantity in (
        (alpha, tbox, 3), (alpha, tsend, 40), (alpha_reseller, tbox, 2), (beta, tbox, 9)
    ):
        grant(organization, product, quantity)
    made = []
    for index in range(24):
        end = today + datetime.timedelta(days=index * 17 - 60)
        made.append(make_subscription(
            (alpha, alpha, beta)[index % 3],
            (tbox, tsend)[index % 2],
            reseller=alpha_reseller if index % 3 == 1 else None,
            start=end - relativedelta(years=1) + datetime.timedelta(days=1),
            end=end,
            users=1 + index % 4,
            renewal_years=1 if index % 7 == 3 else None,
        ))
    made.append(make_subscription(alpha, tbox, start=today + datetime.timedelta(days=5)))
    return made


@pytest.fixture
def everyone(staff, partner_user, reseller_user, other_partner_user):
    return staff, partner_user, reseller_user, other_partner_user


def _to_renew(user):
    from subscriptions.selectors import subscriptions_to_renew

    return list(subscriptions_to_renew(user).order_by("pk"))


def test_the_kept_figures_are_the_computed_ones_and_count_something(
    settings, channel, everyone
):
    assert_kept_right(settings, *everyone)
    staff = everyone[0]
    kept = scope_figures(staff)
    assert sum(kept.counts.values()) == len(channel)
    assert kept.companies_to_renew > 0
    assert any(pool.runs_dry for pool in kept.pools.values())
    assert FiguresState.objects.get().as_of == local_today()


@pytest.mark.django_db(transaction=True)
def test_every_service_write_shows_in_the_kept_figures(
    settings, channel, everyone, alpha, alpha_reseller, beta, tbox, tsend, grant
):
    staff, partner_user = everyone[0], everyone[1]
    assert_kept_right(settings, *everyone)  # built
    # New pools (beta's TSend) and new balances.
    for organization in (alpha, alpha_reseller, beta):
        for product in (tbox, tsend):
            grant(organization, product, 50)
    assert_kept_right(settings, *everyone)
    due = _to_renew(partner_user)
    before = scope_figures(partner_user)

    services.renew_subscription(actor=partner_user, subscription_id=due[0].pk, years=1)
    after = scope_figures(partner_user)
    assert sum(after.counts.values()) == sum(before.counts.values())
    assert after.counts != before.counts
    assert_kept_right(settings, *everyone)

    services.mark_not_renewing(
        actor=partner_user, subscription_id=due[1].pk, reason=NotRenewingReason.PRICE
    )
    assert_kept_right(settings, *everyone)
    services.clear_not_renewing(actor=partner_user, subscription_id=due[1].pk)
    assert_kept_right(settings, *everyone)

    services.cancel_renewal(actor=partner_user, subscription_id=due[0].pk)
    assert scope_figures(partner_user) == before
    assert_kept_right(settings, *everyone)

    # A balance alone moves the day a pool runs dry.
    services.allocate_licenses(
        partner=alpha, reseller=alpha_reseller, product=tbox, quantity=5,
        direction=services.GIVE, actor=partner_user,
    )
    services.renew_subscriptions(
        actor=staff, subscription_ids=[s.pk for s in _to_renew(staff)[:4]], years=1
    )
    assert_kept_right(settings, *everyone)


@pytest.mark.django_db(transaction=True)
def test_writes_outside_the_services_show_too(
    settings, channel, everyone, alpha, alpha_reseller, beta, tbox
):
    assert_kept_right(settings, *everyone)
    # What the admin or a bulk script does: a plain update, a move, a delete, plain SQL.
    Subscription.objects.filter(pk=channel[0].pk).update(users=F("users") + 10)
    assert_kept_right(settings, *everyone)
    moved = Client.objects.get(pk=channel[2].client_id)  # beta's client, to alpha's reseller
    moved.partner, moved.reseller = alpha, alpha_reseller
    moved.save()
    assert_kept_right(settings, *everyone)
    Term.objects.filter(subscription=channel[4]).delete()
    Subscription.objects.filter(pk=channel[4].pk).delete()
    assert_kept_right(settings, *everyone)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE subscriptions_licensepool SET balance = 0 WHERE organization_id = %s",
            [beta.pk],
        )
    assert_kept_right(settings, *everyone)


@pytest.mark.django_db(transaction=True)
def test_the_day_a_pool_runs_dry_follows_its_balance_license_by_license(
    settings, channel, everyone, alpha, tbox
):
    """A balance alone moves the day its pool runs dry: the end date of the first renewal
    it cannot pay, for every balance from none to all that is due (some pay exactly up to
    a day's renewals)."""
    staff = everyone[0]
    needed = scope_figures(staff).pools[(alpha.pk, tbox.pk)].needed_12
    assert needed > 3
    for balance in range(needed + 2):
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE subscriptions_licensepool SET balance = %s"
                " WHERE organization_id = %s AND product_id = %s",
                [balance, alpha.pk, tbox.pk],
            )
        kept, computed = _kept_and_computed(staff, settings)
        assert kept.pools == computed.pools, balance
        assert kept.licenses_by_month == computed.licenses_by_month, balance
        assert (kept.pools[(alpha.pk, tbox.pk)].runs_dry is None) == (balance >= needed)


@pytest.mark.django_db(transaction=True)
def test_a_partners_window_reclassifies_its_resellers_clients_too(
    settings, channel, everyone, alpha
):
    assert_kept_right(settings, *everyone)
    reseller_user = everyone[2]
    before = scope_figures(reseller_user).counts
    alpha.renewal_window_months = 12
    alpha.save()
    after = scope_figures(reseller_user).counts
    assert after["expiring"] > before["expiring"]
    assert_kept_right(settings, *everyone)


@pytest.mark.django_db(transaction=True)
def test_another_day_or_default_window_rebuilds_them_all(settings, channel, everyone):
    assert_kept_right(settings, *everyone)
    # As if the figures had been kept yesterday: today's statuses differ.
    FiguresState.objects.update(as_of=F("as_of") - datetime.timedelta(days=40))
    FigureRow.objects.filter(part="status").update(subscriptions=0)
    assert_kept_right(settings, *everyone)
    assert FiguresState.objects.get().as_of == local_today()
    settings.RENEWAL_WINDOW_MONTHS = 6
    assert_kept_right(settings, *everyone)
    assert FiguresState.objects.get().window_months == 6


@pytest.mark.django_db(transaction=True)
def test_a_read_consumes_the_records_and_recomputes_only_what_changed(
    settings, channel, everyone, beta
):
    staff, partner_user = everyone[0], everyone[1]
    scope_figures(staff)
    assert not FiguresChange.objects.exists()
    betas = set(FigureRow.objects.filter(partner_id=beta.pk).values_list("pk", flat=True))
    services.renew_subscription(
        actor=partner_user, subscription_id=_to_renew(partner_user)[0].pk, years=1
    )
    assert FiguresChange.objects.exists()
    scope_figures(staff)
    assert not FiguresChange.objects.exists()
    # Beta's rows were not written again; alpha's were.
    assert set(FigureRow.objects.filter(partner_id=beta.pk).values_list("pk", flat=True)) == betas


@pytest.mark.django_db(transaction=True)
def test_a_write_in_a_large_organization_recomputes_its_bucket_only(
    settings, channel, everyone, alpha, bucket_size
):
    if bucket_size != 2:
        pytest.skip("about buckets")
    staff, partner_user = everyone[0], everyone[1]
    scope_figures(staff)
    count = FiguresBuckets.objects.get(organization_id=alpha.pk).buckets
    assert count > 2
    renewed = next(s for s in _to_renew(partner_user) if s.client_reseller_id is None)
    bucket = renewed.client_id % count

    def alphas(part_filter):
        rows = FigureRow.objects.filter(partner_id=alpha.pk, reseller_id=None)
        return set(part_filter(rows).values_list("pk", flat=True))

    def days(rows_filter):
        return set(rows_filter(FigureDay.objects.filter(partner_id=alpha.pk, reseller_id=None))
                   .values_list("pk", flat=True))

    others = alphas(lambda rows: rows.exclude(bucket=bucket).exclude(part="dry"))
    mine = alphas(lambda rows: rows.filter(bucket=bucket).exclude(part="dry"))
    other_days = days(lambda rows: rows.exclude(bucket=bucket))
    assert other_days
    services.renew_subscription(actor=partner_user, subscription_id=renewed.pk, years=1)
    assert_kept_right(settings, *everyone)
    assert alphas(lambda rows: rows.exclude(bucket=bucket).exclude(part="dry")) == others
    assert not mine & alphas(lambda rows: rows.filter(bucket=bucket))
    assert days(lambda rows: rows.exclude(bucket=bucket)) == other_days


@pytest.mark.django_db(transaction=True)
def test_readers_and_writers_at_once_leave_the_kept_figures_right(
    settings, channel, everyone, alpha, alpha_reseller, beta, tbox, tsend, make_subscription,
    today,
):
    """Real threads, each on its own connection: renewals, new subscriptions and balance
    changes commit while other threads bring the kept figures up to date and read them.
    Whatever order they interleave in, what is kept afterwards is what a computation from
    every subscription gives."""
    staff = everyone[0]
    scope_figures(staff)
    for _ in range(30):
        end = today + datetime.timedelta(days=10)
        make_subscription((alpha, beta)[_ % 2], (tbox, tsend)[_ % 2],
                          reseller=alpha_reseller if _ % 4 == 0 else None,
                          start=end - relativedelta(years=1), end=end, users=1)
    scope_figures(staff)
    due = [subscription.pk for subscription in _to_renew(staff)]
    errors, stop = [], threading.Event()

    def writer(ids):
        try:
            for pk in ids:
                try:
                    services.renew_subscription(actor=staff, subscription_id=pk, years=1)
                except services.OperationRefused:  # its pool ran dry
                    pass
                services.grant_licenses(partner=alpha, product=tbox, quantity=1)
        except Exception as error:  # noqa: BLE001 (reported by the main thread)
            errors.append(error)
        finally:
            connection.close()

    def reader():
        try:
            while not stop.is_set():
                scope_figures(staff)
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connection.close()

    readers = [threading.Thread(target=reader) for _ in range(3)]
    writers = [threading.Thread(target=writer, args=(due[k::4],)) for k in range(4)]
    for thread in readers + writers:
        thread.start()
    for thread in writers:
        thread.join()
    stop.set()
    for thread in readers:
        thread.join()
    assert errors == []
    assert len(due) > 20
    assert_kept_right(settings, *everyone)


def test_refresh_figures_checks_and_rebuilds_them(channel, everyone):
    from django.core.management import CommandError, call_command

    scope_figures(everyone[0])
    call_command("refresh_figures", "--check")
    # A row changed behind the records' back, as a restore of one table would.
    FigureRow.objects.filter(part="status").update(subscriptions=F("subscriptions") + 1)
    with pytest.raises(CommandError, match="counts"):
        call_command("refresh_figures", "--check")
    call_command("refresh_figures")
    call_command("refresh_figures", "--check")
    assert FiguresState.objects.get().as_of == local_today()
