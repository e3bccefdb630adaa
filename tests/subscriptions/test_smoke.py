import datetime

from subscriptions import services
from subscriptions.models import LicensePool, Subscription
from subscriptions.selectors import Status


def test_it_renews_and_debits_the_paying_pool(alpha, tbox, grant, partner_user, make_subscription, today):
    grant(alpha, tbox, 100)
    sub = make_subscription(alpha, tbox, start=today.replace(year=today.year - 1) + datetime.timedelta(days=10), users=7)
    result = services.renew_subscription(actor=partner_user, subscription_id=sub.pk, years=2)
    assert result.licenses == 14
    assert LicensePool.objects.get(organization=alpha, product=tbox).balance == 86
    row = Subscription.objects.with_status().get(pk=sub.pk)
    assert row.status == Status.RENEWED
