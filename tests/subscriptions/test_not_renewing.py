"""Rule 15: an expiring or expired subscription can be marked as not renewing."""


import pytest

from subscriptions import selectors, services
from subscriptions.models import Subscription
from subscriptions.services import OperationRefused

pytestmark = pytest.mark.django_db


def test_a_marked_subscription_is_no_longer_to_renew(expiring, partner_user):
    assert selectors.companies_to_renew_count(partner_user) == 1
    services.mark_not_renewing(
        actor=partner_user, subscription_id=expiring.pk, reason="price", comment="Too dear"
    )
    assert selectors.companies_to_renew_count(partner_user) == 0
    assert not selectors.subscriptions_to_renew(partner_user).exists()
    assert not selectors.renewals_due().exists()
    marked = Subscription.objects.with_status().get(pk=expiring.pk)
    assert marked.status == selectors.Status.EXPIRING
    assert marked.not_renewing_by == partner_user and marked.not_renewing_comment == "Too dear"


def test_an_active_subscription_cannot_be_marked(
    alpha, tbox, make_subscription, partner_user
):
    active = make_subscription(alpha, tbox)
    with pytest.raises(OperationRefused):
        services.mark_not_renewing(
            actor=partner_user, subscription_id=active.pk, reason="price", comment=""
        )


def test_an_unknown_reason_is_refused(expiring, partner_user):
    with pytest.raises(OperationRefused):
        services.mark_not_renewing(
            actor=partner_user, subscription_id=expiring.pk, reason="whim", comment=""
        )


def test_the_mark_can_be_removed(expiring, partner_user):
    services.mark_not_renewing(
        actor=partner_user, subscription_id=expiring.pk, reason="closed", comment=""
    )
    services.clear_not_renewing(actor=partner_user, subscription_id=expiring.pk)
    assert selectors.companies_to_renew_count(partner_user) == 1


def test_renewing_clears_the_mark(expiring, partner_user):
    services.mark_not_renewing(
        actor=partner_user, subscription_id=expiring.pk, reason="other", comment="x"
    )
    services.renew_subscription(actor=partner_user, subscription_id=expiring.pk, years=1)
    assert Subscription.objects.get(pk=expiring.pk).not_renewing_reason is None


def test_bulk_renewing_clears_the_mark(expiring, partner_user):
    services.mark_not_renewing(
        actor=partner_user, subscription_id=expiring.pk, reason="other", comment="x"
    )
    services.renew_subscriptions(actor=partner_user, subscription_ids=[expiring.pk], years=1)
    assert Subscription.objects.get(pk=expiring.pk).not_renewing_reason is None
