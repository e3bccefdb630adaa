"""Rule 21 under real concurrency (PostgreSQL, threads with their own connections): the
undo of a co-terming against a renewal of one of its subscriptions. Either the renewal
comes first, queued after the extension, and the undo is refused; or the undo comes
first and the renewal renews the term the subscription is back on — never a renewal
standing on a cancelled extension, never an overdraft, every ledger line adding up."""

import datetime

import pytest

from subscriptions import services
from subscriptions.models import LicensePool, Subscription, Term, TermKind
from subscriptions.services import OperationRefused
from tests.helpers.markers import racing
from tests.subscriptions.test_concurrency import assert_ledger_consistent, run_together

pytestmark = racing

DAY = datetime.timedelta(days=1)


def _live_terms(subscription):
    return list(
        Term.objects.filter(subscription=subscription, cancelled_at__isnull=True)
        .order_by("start_date", "pk")
    )


@pytest.mark.parametrize("round_", range(4))
def test_an_undo_and_a_renewal_of_one_of_its_subscriptions_never_both_stand_on_it(
    alpha, tbox, grant, make_subscription, partner_user, today, round_
):
    lapsed = make_subscription(alpha, tbox, start=today - 400 * DAY, end=today - 10 * DAY,
                               users=2)
    client = lapsed.client
    soon = make_subscription(alpha, tbox, start=today - 300 * DAY, end=today + 20 * DAY,
                             users=4, client=client)
    later = make_subscription(alpha, tbox, start=today - 200 * DAY, end=today + 100 * DAY,
                              users=3, client=client)
    grant(alpha, tbox, 50)
    done = services.coterm_subscriptions(
        actor=partner_user, client_id=client.pk, end=later.term_end,
        subscription_ids=[lapsed.pk, soon.pk, later.pk],
    )
    extension = Term.objects.get(subscription=lapsed, kind=TermKind.COTERM)
    assert extension.start_date == today  # current at once: it can be renewed after it

    def undo():
        return services.undo_last_operation(actor=partner_user, subscription_id=soon.pk)

    def renew():
        return services.renew_subscription(
            actor=partner_user, subscription_id=lapsed.pk, years=1
        )

    calls = [undo, renew] if round_ % 2 else [renew, undo]
    outcomes = dict(zip([call.__name__ for call in calls], run_together(*calls), strict=True))

    undo_status, undo_value = outcomes["undo"]
    renew_status, renew_value = outcomes["renew"]
    assert renew_status == "ok", renew_value  # it renews whichever term stands
    renewal = renew_value.term
    extension.refresh_from_db()
    if undo_status == "ok":
        # The undo came first: the renewal renewed the expired term, not the extension.
        assert extension.cancelled_at is not None
        assert renewal.start_date != extension.end_date + DAY
        assert undo_value.licenses == done.licenses
    else:
        assert isinstance(undo_value, OperationRefused), undo_value
        assert undo_value.code == "later_operation"
        assert extension.cancelled_at is None
        assert renewal.start_date == extension.end_date + DAY
    # The row is its live terms: the latest current, the one before it previous.
    row = Subscription.objects.get(pk=lapsed.pk)
    *_, before, latest = _live_terms(lapsed)
    assert (row.term_start, row.term_end) == (latest.start_date, latest.end_date)
    assert (row.previous_term_start, row.previous_term_end) == (before.start_date,
                                                                before.end_date)
    assert latest.pk == renewal.pk
    pool = LicensePool.objects.get(organization=alpha, product=tbox)
    refunded = done.licenses if undo_status == "ok" else 0
    assert pool.balance == 50 - done.licenses + refunded - renewal.licenses >= 0
    assert_ledger_consistent()
