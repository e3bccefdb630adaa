"""The dashboard's kept figures (PostgreSQL) stay the computed ones after an add-on and
its undo (docs/rules.md rules 19 and 21), on a current term and with a queued renewal."""

import pytest

from subscriptions import services
from subscriptions.models import Subscription
from subscriptions.status import Status

from . import test_kept_figures as kept

# The kept-figures tests' portfolio, users and bucket sizes (autouse), used here as there.
pytestmark = kept.pytestmark
bucket_size = kept.bucket_size
channel = kept.channel
everyone = kept.everyone


def _addable(made, status):
    ids = [subscription.pk for subscription in made]
    return next(
        subscription for subscription in Subscription.objects.with_status().filter(pk__in=ids)
        .order_by("pk") if subscription.status == status
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("status", [Status.EXPIRING, Status.ACTIVE, Status.RENEWED])
def test_an_add_on_and_its_undo_show_in_the_kept_figures(
    settings, channel, everyone, alpha, alpha_reseller, beta, tbox, tsend, grant, status
):
    partner_user = everyone[1]
    for organization in (alpha, alpha_reseller, beta):
        for product in (tbox, tsend):
            grant(organization, product, 5000)
    kept.assert_kept_right(settings, *everyone)
    target = _addable(channel, status)
    services.add_users(actor=everyone[0], subscription_id=target.pk, users=7)
    kept.assert_kept_right(settings, *everyone)
    services.undo_last_operation(actor=partner_user, subscription_id=target.pk)
    kept.assert_kept_right(settings, *everyone)
