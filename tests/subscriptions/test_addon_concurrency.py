"""Rule 19 under real concurrency (PostgreSQL, a thread and a connection each): an add-on
racing a renewal of the same subscription and pool, and a form sent twice at once, never
overdraw, never debit twice, and leave the terms, the subscription and the ledger
agreeing."""

from django.db.models import Sum

from subscriptions import services
from subscriptions.management.commands.check_ledger import ledger_report
from subscriptions.models import LicenseMovement, LicensePool, MovementKind, Subscription, Term
from subscriptions.models_addon import TermChange
from subscriptions.services import AlreadyDone, OperationRefused, ledger
from subscriptions.services.idempotency import issue_token
from subscriptions.status import Status
from tests.helpers.ledger import balance, status_of
from tests.helpers.markers import racing

from .test_concurrency import run_together

pytestmark = racing


def assert_consistent(subscription):
    assert all(balance == total and not broken and balance >= 0
               for _id, _org, _code, balance, total, _lines, broken in ledger_report())
    row = Subscription.objects.get(pk=subscription.pk)
    live = list(Term.objects.filter(subscription=subscription, cancelled_at__isnull=True)
                .order_by("-start_date", "-pk"))
    assert (row.term_start, row.term_end, row.users) == (
        live[0].start_date, live[0].end_date, live[0].users
    )
    if row.previous_term_end is not None:
        assert (row.previous_term_end, row.previous_users) == (live[1].end_date, live[1].users)
    # Every license debited for this subscription is on one of its terms.
    debited = -LicenseMovement.objects.filter(subscription=subscription).aggregate(
        total=Sum("quantity"))["total"]
    assert debited == sum(term.licenses for term in live)


def test_an_add_on_racing_a_renewal_both_land_once(expiring, partner_user, alpha, tbox):
    outcomes = run_together(
        lambda: services.add_users(actor=partner_user, subscription_id=expiring.pk, users=3),
        lambda: services.renew_subscription(
            actor=partner_user, subscription_id=expiring.pk, years=2
        ),
    )
    assert [kind for kind, _value in outcomes] == ["ok", "ok"], outcomes
    assert status_of(expiring) == Status.RENEWED
    # Whichever ran first, both terms end with the 3 users added.
    row = Subscription.objects.get(pk=expiring.pk)
    assert (row.previous_users, row.users) == (8, 8)
    assert LicenseMovement.objects.filter(kind=MovementKind.ADDON).count() == 1
    assert LicenseMovement.objects.filter(kind=MovementKind.RENEWAL).count() == 1
    assert_consistent(expiring)


def test_an_add_on_racing_a_renewal_on_a_pool_for_one_never_overdraws(
    expiring, partner_user, alpha, tbox
):
    # 100 in the pool: take 88 away so that only one of them can be paid (renewal 10,
    # add-on of 100 users for the 31 days left: 9).
    pool = LicensePool.objects.get(organization=alpha, product=tbox)
    ledger.move(pool, -88, kind=MovementKind.IMPORT, actor=None)
    outcomes = run_together(
        lambda: services.add_users(actor=partner_user, subscription_id=expiring.pk,
                                   users=100),
        lambda: services.renew_subscription(
            actor=partner_user, subscription_id=expiring.pk, years=2
        ),
    )
    for kind, value in outcomes:
        assert kind == "ok" or isinstance(value, OperationRefused), value
    assert sorted(kind for kind, _value in outcomes) == ["error", "ok"]
    assert balance(alpha, tbox) in (12 - 9, 12 - 10)
    assert_consistent(expiring)


def test_one_form_sent_twice_at_once_adds_once(expiring, partner_user, alpha, tbox):
    token = issue_token(partner_user)

    def send():
        return services.add_users(actor=partner_user, subscription_id=expiring.pk, users=4,
                                  token=token)

    outcomes = run_together(send, send)
    kinds = sorted(kind for kind, _value in outcomes)
    assert kinds == ["error", "ok"]
    assert all(isinstance(value, AlreadyDone) for kind, value in outcomes if kind == "error")
    assert TermChange.objects.count() == 1
    assert Subscription.objects.get(pk=expiring.pk).users == 9
    assert_consistent(expiring)


def test_an_undo_racing_an_add_on_stays_consistent(expiring, partner_user, alpha, tbox):
    services.renew_subscription(actor=partner_user, subscription_id=expiring.pk, years=1)
    outcomes = run_together(
        lambda: services.undo_last_operation(actor=partner_user,
                                             subscription_id=expiring.pk),
        lambda: services.add_users(actor=partner_user, subscription_id=expiring.pk, users=2),
    )
    for kind, value in outcomes:
        assert kind == "ok" or isinstance(value, OperationRefused), value
    assert_consistent(expiring)
