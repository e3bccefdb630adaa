"""The state of the pools and the ledger, read straight from the database: what a refused
operation must leave as it was, and what every movement must add up to (docs/rules.md)."""

from django.db.models import Sum

from subscriptions.models import Client, LicenseMovement, LicensePool, Subscription, Term


def balance(organization, product):
    return LicensePool.objects.get(organization=organization, product=product).balance


def ledger_size():
    return LicenseMovement.objects.count()


def ledger_matches(organization, product):
    """Whether the pool's balance is the sum of its movements."""
    pool = LicensePool.objects.get(organization=organization, product=product)
    return pool.movements.aggregate(total=Sum("quantity"))["total"] == pool.balance


def ledger_state():
    """Everything an operation may change: balances, movements, terms, clients."""
    return (
        sorted(LicensePool.objects.values_list("pk", "balance")),
        LicenseMovement.objects.count(),
        Term.objects.count(),
        Client.objects.count(),
    )


def status_of(subscription):
    return Subscription.objects.with_status().get(pk=subscription.pk).status
