"""Rule 21: the cancel URL undoes the subscription's last license-moving operation, a
renewal or an add-on; an add-on's undo refunds exactly its debit and takes its users
back; once undone, nothing earlier becomes undoable."""

import datetime

import pytest
from django.utils import timezone

from subscriptions import services
from subscriptions.management.commands.check_ledger import ledger_report
from subscriptions.models import LicenseMovement, MovementKind, Subscription, Term
from subscriptions.models_addon import TermChange
from subscriptions.services import OperationRefused
from subscriptions.status import Status
from tests.helpers.ledger import balance, ledger_matches, status_of

pytestmark = pytest.mark.django_db


def ledger_holds():
    return all(balance == total and not broken
               for _id, _org, _code, balance, total, _lines, broken in ledger_report())


def add(actor, subscription, users):
    return services.add_users(actor=actor, subscription_id=subscription.pk, users=users)


def undo(actor, subscription, **kwargs):
    return services.undo_last_operation(actor=actor, subscription_id=subscription.pk, **kwargs)


def users_of(subscription):
    row = Subscription.objects.get(pk=subscription.pk)
    terms = Term.objects.filter(subscription=subscription).order_by("start_date", "pk")
    return row.previous_users, row.users, [term.users for term in terms]


def test_undoing_an_add_on_refunds_exactly_and_takes_its_users_back(
    expiring, partner_user, alpha, tbox
):
    before = users_of(expiring)
    added = add(partner_user, expiring, 40)
    assert balance(alpha, tbox) == 100 - added.licenses

    result = undo(partner_user, expiring)

    assert result.operation.kind == "addon"
    assert result.licenses == added.licenses
    assert balance(alpha, tbox) == 100
    assert users_of(expiring) == before
    assert Term.objects.get(subscription=expiring).licenses == 0
    reversal = LicenseMovement.objects.get(kind=MovementKind.REVERSAL)
    assert reversal.quantity == added.licenses and reversal.note == "Users added cancelled"
    change = TermChange.objects.get()
    assert change.cancelled_at is not None and change.cancelled_by == partner_user
    assert ledger_matches(alpha, tbox) and ledger_holds()


def test_undoing_an_add_on_to_a_renewed_subscription_lowers_both_terms(
    expiring, partner_user, alpha, tbox
):
    services.renew_subscription(actor=partner_user, subscription_id=expiring.pk, years=2)
    before = users_of(expiring)
    added = add(partner_user, expiring, 3)
    assert [part.kind for part in added.plan.parts] == ["current", "queued"]
    assert users_of(expiring) == (8, 8, [8, 8])

    assert services.cancel_renewal(actor=partner_user, subscription_id=expiring.pk) == (
        added.licenses
    )
    assert users_of(expiring) == before == (5, 5, [5, 5])
    assert balance(alpha, tbox) == 90
    assert status_of(expiring) == Status.RENEWED


def test_a_renewal_made_before_an_add_on_cannot_be_undone_while_it_stands(
    expiring, partner_user, alpha, tbox
):
    services.renew_subscription(actor=partner_user, subscription_id=expiring.pk, years=1)
    add(partner_user, expiring, 2)
    assert services.undoable_operation(expiring.pk).kind == "addon"
    undo(partner_user, expiring)
    # Once: the add-on undone, the renewal before it does not become undoable.
    assert services.undoable_operation(expiring.pk) is None
    with pytest.raises(OperationRefused) as refused:
        undo(partner_user, expiring)
    assert refused.value.code == "nothing_to_undo"
    assert balance(alpha, tbox) == 95
    assert status_of(expiring) == Status.RENEWED


def test_after_a_renewal_is_undone_the_one_before_it_stays(expiring, partner_user, alpha, tbox):
    services.renew_subscription(actor=partner_user, subscription_id=expiring.pk, years=1)
    services.renew_subscription(
        actor=partner_user, subscription_id=expiring.pk, years=1,
        today=expiring.term_end + datetime.timedelta(days=5),
    )
    undo(partner_user, expiring, now=timezone.now() + datetime.timedelta(days=1))
    with pytest.raises(OperationRefused):
        undo(partner_user, expiring, now=timezone.now() + datetime.timedelta(days=1))
    assert balance(alpha, tbox) == 95
    assert ledger_matches(alpha, tbox)


def test_an_add_on_after_an_undone_renewal_is_the_last_operation(
    expiring, partner_user, alpha, tbox
):
    services.renew_subscription(actor=partner_user, subscription_id=expiring.pk, years=1)
    undo(partner_user, expiring)
    add(partner_user, expiring, 2)
    assert undo(partner_user, expiring).operation.kind == "addon"
    assert balance(alpha, tbox) == 100


def test_an_add_on_to_a_started_term_is_undone_within_168_hours_only(
    expiring, partner_user, alpha, tbox
):
    added = add(partner_user, expiring, 2)
    later = timezone.now() + datetime.timedelta(hours=169)
    with pytest.raises(OperationRefused) as refused:
        undo(partner_user, expiring, now=later)
    assert refused.value.code == "too_late"
    assert balance(alpha, tbox) == 100 - added.licenses
    assert undo(partner_user, expiring,
                now=timezone.now() + datetime.timedelta(hours=167)).licenses == added.licenses


def test_an_add_on_to_a_term_not_started_is_undone_until_it_starts(
    alpha, tbox, grant, make_subscription, today, partner_user
):
    grant(alpha, tbox, 100)
    sub = make_subscription(alpha, tbox, start=today + datetime.timedelta(days=20), users=2)
    assert add(partner_user, sub, 3).licenses == 3
    in_ten_days = timezone.now() + datetime.timedelta(days=10)
    assert undo(partner_user, sub, now=in_ten_days).licenses == 3
    assert balance(alpha, tbox) == 100


def test_a_reseller_clients_add_on_is_refunded_to_the_reseller_pool(
    alpha, alpha_reseller, tbox, grant, make_subscription, today, partner_user
):
    grant(alpha_reseller, tbox, 20)
    sub = make_subscription(
        alpha, tbox, reseller=alpha_reseller, users=4,
        start=today - datetime.timedelta(days=300), end=today + datetime.timedelta(days=64),
    )
    added = add(partner_user, sub, 10)
    assert added.licenses == 2  # 65 days × 10 users / 365 → 2
    assert balance(alpha_reseller, tbox) == 18
    undo(partner_user, sub)
    assert balance(alpha_reseller, tbox) == 20 and balance(alpha, tbox) == 0
