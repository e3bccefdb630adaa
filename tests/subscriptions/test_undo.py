"""Rule 14: the last renewal can be cancelled (refund, term marked, status restored)."""

import datetime

import pytest
from django.utils import timezone

from subscriptions import services
from subscriptions.models import LicenseMovement, MovementKind, Subscription, Term
from subscriptions.services import OperationRefused
from subscriptions.status import Status
from tests.helpers.ledger import balance, ledger_matches, status_of
from tests.helpers.markers import racing

pytestmark = pytest.mark.django_db


def test_it_refunds_the_renewal_and_restores_the_status(expiring, partner_user, alpha, tbox):
    services.renew_subscription(actor=partner_user, subscription_id=expiring.pk, years=2)
    assert balance(alpha, tbox) == 90
    assert status_of(expiring) == Status.RENEWED

    refund = services.cancel_renewal(actor=partner_user, subscription_id=expiring.pk)

    assert refund == 10
    assert balance(alpha, tbox) == 100
    assert status_of(expiring) == Status.EXPIRING
    expiring_after = Subscription.objects.get(pk=expiring.pk)
    assert expiring_after.term_end == expiring.term_end
    assert expiring_after.previous_term_end is None
    term = Term.objects.get(subscription=expiring, kind="renewal")
    assert term.cancelled_at is not None and term.cancelled_by == partner_user
    reversal = LicenseMovement.objects.get(kind=MovementKind.REVERSAL)
    assert reversal.quantity == 10 and reversal.term == term
    assert ledger_matches(alpha, tbox)


def test_it_refuses_a_second_cancel(expiring, partner_user, alpha, tbox):
    services.renew_subscription(actor=partner_user, subscription_id=expiring.pk, years=1)
    services.cancel_renewal(actor=partner_user, subscription_id=expiring.pk)
    with pytest.raises(OperationRefused):
        services.cancel_renewal(actor=partner_user, subscription_id=expiring.pk)
    assert balance(alpha, tbox) == 100


def test_it_refuses_after_the_term_started_and_seven_days(expiring, partner_user, today):
    services.renew_subscription(actor=partner_user, subscription_id=expiring.pk, years=1)
    term = Term.objects.get(subscription=expiring, kind="renewal")
    later = timezone.now() + datetime.timedelta(days=40)
    assert term.start_date <= timezone.localdate(later)
    with pytest.raises(OperationRefused):
        services.cancel_renewal(actor=partner_user, subscription_id=expiring.pk, now=later)
    # Not started yet: still allowed beyond 168 hours.
    services.cancel_renewal(
        actor=partner_user, subscription_id=expiring.pk,
        now=timezone.now() + datetime.timedelta(days=10),
    )


def test_it_allows_it_within_168_hours_of_a_started_renewal(
    alpha, tbox, grant, make_subscription, today, partner_user
):
    grant(alpha, tbox, 100)
    expired = make_subscription(
        alpha, tbox, start=today - datetime.timedelta(days=500),
        end=today - datetime.timedelta(days=10), users=3,
    )
    services.renew_subscription(actor=partner_user, subscription_id=expired.pk, years=1)
    assert status_of(expired) == Status.ACTIVE
    assert services.cancel_renewal(actor=partner_user, subscription_id=expired.pk) == 3
    assert status_of(expired) == Status.EXPIRED
    assert balance(alpha, tbox) == 100


def test_it_refuses_a_subscription_without_renewal(expiring, partner_user):
    with pytest.raises(OperationRefused):
        services.cancel_renewal(actor=partner_user, subscription_id=expiring.pk)


def test_it_restores_the_term_before_the_previous_one(expiring, partner_user, today):
    services.renew_subscription(actor=partner_user, subscription_id=expiring.pk, years=1)
    services.renew_subscription(
        actor=partner_user, subscription_id=expiring.pk, years=1,
        today=expiring.term_end + datetime.timedelta(days=5),
    )
    services.cancel_renewal(
        actor=partner_user, subscription_id=expiring.pk,
        now=timezone.now() + datetime.timedelta(days=1),
    )
    after = Subscription.objects.get(pk=expiring.pk)
    first_renewal = Term.objects.filter(subscription=expiring, kind="renewal").order_by("pk")[0]
    assert after.term_end == first_renewal.end_date
    assert after.previous_term_end == expiring.term_end


def test_it_refunds_a_reseller_client_to_the_reseller_pool(
    alpha, alpha_reseller, tbox, grant, make_subscription, today, partner_user
):
    grant(alpha_reseller, tbox, 20)
    sub = make_subscription(
        alpha, tbox, reseller=alpha_reseller, users=4,
        start=today - datetime.timedelta(days=300), end=today + datetime.timedelta(days=30),
    )
    services.renew_subscription(actor=partner_user, subscription_id=sub.pk, years=1)
    services.cancel_renewal(actor=partner_user, subscription_id=sub.pk)
    assert balance(alpha_reseller, tbox) == 20


# --- concurrency ----------------------------------------------------------------------

@racing
def test_two_racing_cancels_refund_once(expiring, partner_user, staff, alpha, tbox):
    from tests.subscriptions.test_concurrency import run_together

    services.renew_subscription(actor=partner_user, subscription_id=expiring.pk, years=2)
    outcomes = run_together(
        lambda: services.cancel_renewal(actor=partner_user, subscription_id=expiring.pk),
        lambda: services.cancel_renewal(actor=staff, subscription_id=expiring.pk),
    )
    kinds = sorted(kind for kind, _value in outcomes)
    assert kinds == ["error", "ok"]
    assert all(isinstance(v, OperationRefused) for k, v in outcomes if k == "error")
    assert balance(alpha, tbox) == 100
    assert LicenseMovement.objects.filter(kind=MovementKind.REVERSAL).count() == 1
    assert ledger_matches(alpha, tbox)


@racing
def test_a_cancel_racing_a_renewal_stays_consistent(expiring, partner_user, alpha, tbox):
    from tests.subscriptions.test_concurrency import run_together

    services.renew_subscription(actor=partner_user, subscription_id=expiring.pk, years=1)
    outcomes = run_together(
        lambda: services.cancel_renewal(actor=partner_user, subscription_id=expiring.pk),
        lambda: services.renew_subscription(
            actor=partner_user, subscription_id=expiring.pk, years=1
        ),
    )
    for kind, value in outcomes:
        assert kind == "ok" or isinstance(value, OperationRefused), value
    sub = Subscription.objects.get(pk=expiring.pk)
    live = Term.objects.filter(subscription=expiring, cancelled_at__isnull=True)
    latest = live.order_by("-start_date", "-pk").first()
    assert (sub.term_start, sub.term_end) == (latest.start_date, latest.end_date)
    debited = sum(t.licenses for t in live)
    assert balance(alpha, tbox) == 100 - debited
    assert ledger_matches(alpha, tbox)
