"""What the service tests share: a fixed today, and readings of what an operation changed."""

import datetime

from django.db.models import Sum

from subscriptions import services
from subscriptions.models import (
    Client,
    LicenseMovement,
    LicensePool,
    OperationToken,
    Subscription,
    Term,
)

TODAY = datetime.date(2025, 6, 15)
DAY = datetime.timedelta(days=1)


def balance(organization, product):
    return services.pool_balance(organization, product)[1]


def ledger_sum(organization, product):
    total = LicenseMovement.objects.filter(
        pool__organization=organization, pool__product=product
    ).aggregate(total=Sum("quantity"))["total"]
    return total or 0


def snapshot():
    """Everything an operation could change, to prove a refusal changed nothing."""
    return {
        "pools": sorted(LicensePool.objects.values_list("pk", "organization_id", "balance")),
        "movements": LicenseMovement.objects.count(),
        "terms": Term.objects.count(),
        "clients": Client.objects.count(),
        "subscriptions": sorted(
            Subscription.objects.values_list(
                "pk", "term_start", "term_end", "users", "years", "previous_term_end"
            )
        ),
        "tokens": OperationToken.objects.count(),
    }


def status_of(subscription, today=TODAY):
    return Subscription.objects.with_status(today).get(pk=subscription.pk).status


def renew(actor, subscription, years=1, **kwargs):
    return services.renew_subscription(
        actor=actor, subscription_id=subscription.pk, years=years, today=TODAY, **kwargs
    )
