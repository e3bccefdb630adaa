"""Rule 5 and rule 9 under real concurrency: threads, each with its own PostgreSQL
connection, released together by a barrier; and exact interleavings, where one
transaction holds a row lock while another one is shown waiting on it."""

import datetime
import threading
import time

import pytest
from django.db import OperationalError, connection, transaction
from django.db.models import Sum

from subscriptions import services
from subscriptions.dates import local_today
from subscriptions.models import LicenseMovement, LicensePool, MovementKind, Subscription, Term
from subscriptions.services import AlreadyDone, OperationRefused
from subscriptions.services.idempotency import issue_token
from subscriptions.status import Status

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks and concurrent transactions need PostgreSQL",
    ),
]

TIMEOUT = 30


def run_together(*calls):
    """Runs each call in its own thread and connection, all released at the same instant.

    Returns one ("ok", value) or ("error", exception) per call, in order.
    """
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def worker(index, call):
        try:
            # Connect before the barrier, so the race is between queries, not handshakes.
            connection.ensure_connection()
            barrier.wait(timeout=TIMEOUT)
            outcomes[index] = ("ok", call())
        except Exception as error:  # every outcome is asserted by the test
            outcomes[index] = ("error", error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(index, call), daemon=True)
        for index, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    return outcomes


def successes(outcomes):
    return [value for kind, value in outcomes if kind == "ok"]


def errors(outcomes):
    return [value for kind, value in outcomes if kind == "error"]


def assert_ledger_consistent():
    for pool in LicensePool.objects.all():
        running = 0
        for quantity, balance_after in LicenseMovement.objects.filter(pool=pool).order_by(
            "pk"
        ).values_list("quantity", "balance_after"):
            running += quantity
            assert balance_after == running
        assert pool.balance == running >= 0


def balance(organization, product):
    return services.pool_balance(organization, product)[1]


def expiring_subscription(make_subscription, partner, product, **kwargs):
    today = local_today()
    # Started ten months ago, one year long: it ends inside the default window.
    start = today - datetime.timedelta(days=300)
    return make_subscription(partner, product, start=start, years=1, **kwargs)


def renewal(actor, subscription, **kwargs):
    def call():
        return services.renew_subscription(
            actor=actor, subscription_id=subscription.pk, years=1, **kwargs
        )

    return call


def wait_until(condition, what):
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.02)


def waiting_on_a_lock():
    """How many other backends of this database wait on a lock right now."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock' "
            "AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


# --- races with threads ---------------------------------------------------------------


def test_it_lets_exactly_as_many_renewals_through_as_the_pool_can_pay(
    alpha, tbox, grant, partner_user, make_subscription
):
    subscriptions = [
        expiring_subscription(make_subscription, alpha, tbox, users=5) for _ in range(16)
    ]
    grant(alpha, tbox, 15)

    outcomes = run_together(*(renewal(partner_user, sub) for sub in subscriptions))

    assert len(successes(outcomes)) == 3
    refused = errors(outcomes)
    assert len(refused) == 13
    assert all(isinstance(error, OperationRefused) for error in refused), refused
    assert {error.code for error in refused} == {"not_enough_licenses"}
    assert {error.missing for error in refused} == {5}
    assert balance(alpha, tbox) == 0
    assert LicenseMovement.objects.filter(kind=MovementKind.RENEWAL).count() == 3
    assert Term.objects.count() == 16 + 3
    rows = Subscription.objects.with_status().filter(pk__in=[s.pk for s in subscriptions])
    statuses = [row.status for row in rows]
    assert statuses.count(Status.RENEWED) == 3
    assert statuses.count(Status.EXPIRING) == 13
    assert_ledger_consistent()


def test_it_renews_a_subscription_once_when_eight_renewals_race(
    alpha, tbox, grant, partner_user, make_subscription
):
    sub = expiring_subscription(make_subscription, alpha, tbox, users=5)
    grant(alpha, tbox, 100)

    outcomes = run_together(*(renewal(partner_user, sub) for _ in range(8)))

    assert len(successes(outcomes)) == 1
    refused = errors(outcomes)
    assert len(refused) == 7
    assert all(isinstance(error, OperationRefused) for error in refused), refused
    assert {error.code for error in refused} == {"already_renewed"}
    assert balance(alpha, tbox) == 95
    assert LicenseMovement.objects.filter(kind=MovementKind.RENEWAL).count() == 1
    assert Term.objects.filter(subscription=sub).count() == 2
    assert Subscription.objects.with_status().get(pk=sub.pk).status == Status.RENEWED
    assert_ledger_consistent()


def test_it_debits_once_when_eight_requests_carry_the_same_token(
    alpha, tbox, grant, partner_user, make_subscription
):
    sub = expiring_subscription(make_subscription, alpha, tbox, users=5)
    grant(alpha, tbox, 100)
    token = issue_token(partner_user)

    outcomes = run_together(*(renewal(partner_user, sub, token=token) for _ in range(8)))

    done = successes(outcomes)
    assert len(done) == 1
    repeats = errors(outcomes)
    assert len(repeats) == 7
    assert all(isinstance(error, AlreadyDone) for error in repeats), repeats
    assert all(error.result["term_id"] == done[0].term.pk for error in repeats)
    assert all(error.result["licenses"] == 5 for error in repeats)
    assert balance(alpha, tbox) == 95
    assert LicenseMovement.objects.filter(kind=MovementKind.RENEWAL).count() == 1
    assert_ledger_consistent()


def test_it_debits_once_when_eight_client_creations_carry_the_same_token(
    alpha, tbox, grant, partner_user
):
    grant(alpha, tbox, 100)
    token = issue_token(partner_user)

    def create():
        return services.create_client(
            actor=partner_user, partner=alpha, name="Double Clic", product=tbox, users=2,
            years=3, start_date=local_today(), token=token,
        )

    outcomes = run_together(*(create for _ in range(8)))

    assert len(successes(outcomes)) == 1
    assert all(isinstance(error, AlreadyDone) for error in errors(outcomes))
    assert Subscription.objects.count() == 1
    assert balance(alpha, tbox) == 94
    assert_ledger_consistent()


@pytest.mark.parametrize(
    "reseller_pool_first", [False, True], ids=["partner-pool-first", "reseller-pool-first"]
)
def test_it_never_deadlocks_opposite_allocations(
    alpha, alpha_reseller, tbox, partner_user, reseller_pool_first
):
    # Pool ids decide the lock order: try both, so one direction always locks "backwards".
    if reseller_pool_first:
        LicensePool.objects.create(organization=alpha_reseller, product=tbox)
    # Each side holds more than all the transfers away from it add up to (130 given, 120
    # taken), so whatever order the threads run in, none may be refused.
    services.grant_licenses(partner=alpha, product=tbox, quantity=400)
    services.allocate_licenses(
        partner=alpha, reseller=alpha_reseller, product=tbox, quantity=200,
        direction=services.GIVE, actor=partner_user,
    )
    lines_before = LicenseMovement.objects.count()

    def transfer(direction, quantity):
        def call():
            return services.allocate_licenses(
                partner=alpha, reseller=alpha_reseller, product=tbox, quantity=quantity,
                direction=direction, actor=partner_user,
            )

        return call

    calls = [
        transfer(services.GIVE if index % 2 else services.TAKE, 3 + index) for index in range(20)
    ]
    outcomes = run_together(*calls)

    assert errors(outcomes) == []
    assert not any(isinstance(error, OperationalError) for error in errors(outcomes))
    given = sum(3 + index for index in range(20) if index % 2)
    taken = sum(3 + index for index in range(20) if not index % 2)
    assert balance(alpha, tbox) == 200 - given + taken
    assert balance(alpha_reseller, tbox) == 200 + given - taken
    assert LicenseMovement.objects.count() == lines_before + 40
    assert LicenseMovement.objects.filter(kind=MovementKind.ALLOCATION).aggregate(
        total=Sum("quantity")
    )["total"] == 0
    assert_ledger_consistent()


def test_it_never_overdraws_a_reseller_pool_raced_by_renewals_and_a_take_back(
    alpha, alpha_reseller, tbox, grant, partner_user, reseller_user, make_subscription
):
    subscriptions = [
        expiring_subscription(make_subscription, alpha, tbox, users=4, reseller=alpha_reseller)
        for _ in range(6)
    ]
    grant(alpha_reseller, tbox, 20)

    def take_back():
        return services.allocate_licenses(
            partner=alpha, reseller=alpha_reseller, product=tbox, quantity=10,
            direction=services.TAKE, actor=partner_user,
        )

    outcomes = run_together(take_back, *(renewal(reseller_user, sub) for sub in subscriptions))

    refused = errors(outcomes)
    # 6 × 4 + 10 licenses asked of a pool of 20: some must be refused, none may overdraw.
    assert refused
    assert all(isinstance(error, OperationRefused) for error in refused), refused
    assert all(error.missing >= 1 for error in refused)
    took = 10 if outcomes[0][0] == "ok" else 0
    renewed = len(successes(outcomes[1:]))
    assert balance(alpha_reseller, tbox) == 20 - 4 * renewed - took >= 0
    assert_ledger_consistent()


# --- exact interleavings --------------------------------------------------------------


class LockHolder(threading.Thread):
    """Opens a transaction, runs `work` inside it, then keeps it (and its locks) open
    until released."""

    def __init__(self, work):
        super().__init__(daemon=True)
        self.work = work
        self.holding = threading.Event()
        self.release = threading.Event()
        self.error = None

    def run(self):
        try:
            with transaction.atomic():
                self.work()
                self.holding.set()
                assert self.release.wait(TIMEOUT)
        except Exception as error:  # asserted by the test
            self.error = error
            self.holding.set()
        finally:
            connection.close()


class Contender(threading.Thread):
    def __init__(self, call):
        super().__init__(daemon=True)
        self.call = call
        self.started_waiting = threading.Event()
        self.result = None
        self.error = None

    def run(self):
        try:
            connection.ensure_connection()
            self.started_waiting.set()
            self.result = self.call()
        except Exception as error:  # asserted by the test
            self.error = error
        finally:
            connection.close()


def test_it_makes_a_renewal_wait_for_a_renewal_in_progress_and_then_refuses_it(
    alpha, tbox, grant, partner_user, make_subscription
):
    sub = expiring_subscription(make_subscription, alpha, tbox, users=5)
    grant(alpha, tbox, 100)

    def renew_and_hold():
        Subscription.objects.select_for_update().get(pk=sub.pk)
        renewal(partner_user, sub)()

    holder = LockHolder(renew_and_hold)
    holder.start()
    assert holder.holding.wait(TIMEOUT)
    assert holder.error is None

    second = Contender(renewal(partner_user, sub))
    second.start()
    wait_until(lambda: waiting_on_a_lock() >= 1, "the second renewal waits on the row lock")
    assert second.is_alive()
    # Still nothing committed: the other connection sees the old balance.
    assert balance(alpha, tbox) == 100

    holder.release.set()
    holder.join(TIMEOUT)
    second.join(TIMEOUT)
    assert not second.is_alive()
    assert holder.error is None
    assert isinstance(second.error, OperationRefused)
    assert second.error.code == "already_renewed"
    assert balance(alpha, tbox) == 95
    assert LicenseMovement.objects.filter(kind=MovementKind.RENEWAL).count() == 1
    assert_ledger_consistent()


def test_it_makes_a_renewal_wait_for_a_lock_that_ends_without_change_and_then_renews(
    alpha, tbox, grant, partner_user, make_subscription
):
    sub = expiring_subscription(make_subscription, alpha, tbox, users=5)
    grant(alpha, tbox, 100)

    holder = LockHolder(lambda: Subscription.objects.select_for_update().get(pk=sub.pk))
    holder.start()
    assert holder.holding.wait(TIMEOUT)

    second = Contender(renewal(partner_user, sub))
    second.start()
    wait_until(lambda: waiting_on_a_lock() >= 1, "the renewal waits on the row lock")
    assert second.is_alive()
    assert LicenseMovement.objects.filter(kind=MovementKind.RENEWAL).count() == 0

    holder.release.set()
    holder.join(TIMEOUT)
    second.join(TIMEOUT)
    assert second.error is None
    assert second.result.licenses == 5
    assert balance(alpha, tbox) == 95
    assert_ledger_consistent()


def test_it_makes_a_renewal_wait_for_a_debit_in_progress_and_then_refuses_what_is_missing(
    alpha, tbox, grant, partner_user, make_subscription
):
    first = expiring_subscription(make_subscription, alpha, tbox, users=6)
    second_sub = expiring_subscription(make_subscription, alpha, tbox, users=5)
    grant(alpha, tbox, 10)

    holder = LockHolder(renewal(partner_user, first))
    holder.start()
    assert holder.holding.wait(TIMEOUT)
    assert holder.error is None

    second = Contender(renewal(partner_user, second_sub))
    second.start()
    wait_until(lambda: waiting_on_a_lock() >= 1, "the second debit waits on the pool row")
    assert second.is_alive()

    holder.release.set()
    holder.join(TIMEOUT)
    second.join(TIMEOUT)
    assert isinstance(second.error, OperationRefused)
    assert second.error.code == "not_enough_licenses"
    # Read after the first debit committed: 4 remain, 5 are needed.
    assert second.error.missing == 1
    assert balance(alpha, tbox) == 4
    assert_ledger_consistent()


def test_it_makes_a_repeated_token_wait_for_the_first_submission_and_answer_like_it(
    alpha, tbox, grant, partner_user, make_subscription
):
    sub = expiring_subscription(make_subscription, alpha, tbox, users=5)
    grant(alpha, tbox, 100)
    token = issue_token(partner_user)

    holder = LockHolder(renewal(partner_user, sub, token=token))
    holder.start()
    assert holder.holding.wait(TIMEOUT)
    assert holder.error is None

    second = Contender(renewal(partner_user, sub, token=token))
    second.start()
    wait_until(lambda: waiting_on_a_lock() >= 1, "the repeat waits on the token's unique key")
    assert second.is_alive()

    holder.release.set()
    holder.join(TIMEOUT)
    second.join(TIMEOUT)
    assert isinstance(second.error, AlreadyDone)
    assert second.error.result["licenses"] == 5
    assert balance(alpha, tbox) == 95
    assert_ledger_consistent()


def test_it_makes_a_renewal_wait_for_a_credit_in_progress_and_then_pays_with_it(
    alpha, tbox, grant, partner_user, make_subscription
):
    sub = expiring_subscription(make_subscription, alpha, tbox, users=5)
    grant(alpha, tbox, 2)

    holder = LockHolder(
        lambda: services.grant_licenses(partner=alpha, product=tbox, quantity=10)
    )
    holder.start()
    assert holder.holding.wait(TIMEOUT)
    assert holder.error is None

    renewing = Contender(renewal(partner_user, sub))
    renewing.start()
    wait_until(lambda: waiting_on_a_lock() >= 1, "the debit waits on the pool row")
    assert renewing.is_alive()

    holder.release.set()
    holder.join(TIMEOUT)
    renewing.join(TIMEOUT)
    # The debit is checked against the balance the credit left, not the one it first saw.
    assert renewing.error is None
    assert renewing.result.balance_after == 7
    assert balance(alpha, tbox) == 7
    assert_ledger_consistent()
