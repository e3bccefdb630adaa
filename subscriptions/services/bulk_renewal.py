"""Renewing a selection at once, all or none (docs/rules.md rule 13)."""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal.numbers import figures
from webhooks.events import EventType
from webhooks.services import outbox

from ..dates import local_today, term_end
from ..models import LicensePool, Subscription
from ..notes import BULK_RENEWAL
from . import idempotency, ledger, locks
from .errors import OperationRefused, check_years
from .ledger import PoolDebit
from .renewal import new_term_start, refusal_for_status
from .renewal_writer import PlannedRenewal, write_renewals

logger = logging.getLogger("portal.operations")

BULK_MAX = 5_000


@dataclass
class BulkRenewalResult:
    renewals: list[PlannedRenewal]
    pools: list[PoolDebit]

    @property
    def licenses(self):
        return sum(line.licenses for line in self.renewals)


def plan_bulk_renewal(subscriptions, *, years, today=None):
    """Rule 13: each subscription renewed for `years` at its current users, or with its
    renewal plan (rule 22) when it has one. `subscriptions` carry the `with_status`
    annotations and their client's organizations; raises OperationRefused for the first
    that cannot be renewed, its `items` naming every one. Writes nothing (the preview
    uses it)."""
    today = today or local_today()
    check_years(years)
    lines = []
    refused = []
    for subscription in subscriptions:
        refusal = refusal_for_status(subscription.status)
        if refusal:
            refusal.message = _("%(client)s (%(product)s): %(refusal)s") % {
                "client": subscription.client.name,
                "product": subscription.product.name,
                "refusal": refusal.message,
            }
            refused.append(refusal)
            refusal.items = [{"subscription": subscription.pk, "code": refusal.code,
                              "detail": str(refusal.message)}]
            continue
        # Renewable means no queued renewal: the latest term is the current one.
        planned = bool(subscription.renewal_users and subscription.renewal_years)
        users, line_years = (
            (subscription.renewal_users, subscription.renewal_years) if planned
            else (subscription.users, years)
        )
        start = new_term_start(subscription, subscription.status, today)
        payer = subscription.client.paying_organization
        lines.append(
            PlannedRenewal(
                subscription=subscription,
                start=start,
                end=term_end(start, line_years),
                users=users,
                years=line_years,
                licenses=users * line_years,
                pool_key=(payer.pk, subscription.product_id),
                planned=planned,
            )
        )
    if refused:
        first = refused[0]
        first.items = [item for refusal in refused for item in refusal.items]
        raise first
    return lines


def _pool_debits(lines, *, lock):
    """Per paying pool, its balance and the total debit of `lines`, pools in pk order.

    With `lock`, a pool that does not exist yet is created first, empty, then each is
    locked once (`locks.lock_pools`) and the balances are read under the lock.
    """
    debits = {}
    for line in lines:
        key = line.pool_key
        if key not in debits:
            debits[key] = PoolDebit(
                organization=line.subscription.client.paying_organization,
                product=line.subscription.product,
                pool_id=None,
                balance=0,
            )
        debits[key].debit += line.licenses
        debits[key].subscriptions += 1
    if lock:
        ids = ledger.pools_for(debits)
        found = locks.lock_pools(ids.values()).values()
    else:
        wanted = Q(pk__in=[])
        for organization_id, product_id in debits:
            wanted |= Q(organization_id=organization_id, product_id=product_id)
        found = LicensePool.objects.filter(wanted)
    for pool in found:
        debit = debits.get((pool.organization_id, pool.product_id))
        if debit is not None:
            debit.pool_id, debit.balance = pool.pk, pool.balance
    return sorted(
        debits.values(),
        key=lambda d: (d.pool_id is None, d.pool_id or 0, d.organization.name, d.product.name),
    )


def bulk_renewal_preview(subscriptions, *, years, today=None):
    """What `renew_subscriptions` would do, without locking or writing anything."""
    lines = plan_bulk_renewal(subscriptions, years=years, today=today)
    return BulkRenewalResult(renewals=lines, pools=_pool_debits(lines, lock=False))


def short_pools_refusal(pools, lines=()):
    """The refusal of a selection some pools cannot pay: per pool the licenses missing,
    and per subscription of `lines` such a pool pays, an item."""
    short = [pool for pool in pools if pool.missing]
    if not short:
        return None
    sentences = [
        ngettext(
            "%(missing)s license of %(product)s is missing in the pool of %(organization)s "
            "(%(balance)s remaining, %(needed)s needed).",
            "%(missing)s licenses of %(product)s are missing in the pool of %(organization)s "
            "(%(balance)s remaining, %(needed)s needed).",
            pool.missing,
        )
        % figures({
            "missing": pool.missing,
            "product": pool.product.name,
            "organization": pool.organization.name,
            "balance": pool.balance,
            "needed": pool.debit,
        })
        for pool in short
    ]
    unpaid = {(pool.organization.pk, pool.product.pk): sentence
              for pool, sentence in zip(short, sentences, strict=True)}
    return OperationRefused(
        _("Nothing was renewed: the licenses remaining do not cover the selection."),
        code="not_enough_licenses",
        missing={pool.pool_id: pool.missing for pool in short},
        details=sentences,
        items=[
            {"subscription": line.subscription.pk, "code": "not_enough_licenses",
             "detail": str(unpaid[line.pool_key])}
            for line in lines if line.pool_key in unpaid
        ],
    )


@transaction.atomic
def renew_subscriptions(*, actor, subscription_ids, years, token=None, today=None):
    """Rule 13: renew a selection for `years` each at its current users (or its plan,
    rule 22), all or none.

    Locks as everywhere (`locks`): the subscriptions by pk, then each paying pool once, by
    pk; the pools are checked under their lock before anything is written, so a refusal
    names every short pool with its missing count. One ledger line per subscription.
    Callers check the scope: every id must be one the actor may see.
    """
    claimed = idempotency.claim_form_token(token, actor=actor, operation="bulk_renew")
    today = today or local_today()
    try:
        ids = sorted({int(pk) for pk in subscription_ids})
    except (TypeError, ValueError):
        raise OperationRefused(_("Select subscriptions to renew."), field="subscriptions") from None
    if not ids:
        raise OperationRefused(_("Select at least one subscription."), field="subscriptions")
    if len(ids) > BULK_MAX:
        raise OperationRefused(
            _("Select at most %(max)s subscriptions at once.") % figures({"max": BULK_MAX}),
            field="subscriptions",
        )
    check_years(years)
    subscriptions = locks.lock_subscriptions(
        ids,
        queryset=Subscription.objects.with_status(today).select_related(
            "client__partner", "client__reseller", "product"
        ),
    )
    if len(subscriptions) != len(ids):
        raise OperationRefused(
            _("A selected subscription does not exist."), field="subscriptions", code="not_found"
        )
    lines = plan_bulk_renewal(subscriptions, years=years, today=today)
    pools = _pool_debits(lines, lock=True)
    refusal = short_pools_refusal(pools, lines)
    if refusal:
        raise refusal
    pool_ids = {(pool.organization.pk, pool.product.pk): pool.pool_id for pool in pools}
    for line in lines:
        line.pool_id = pool_ids[line.pool_key]
    result = BulkRenewalResult(renewals=lines, pools=pools)
    # The pools are locked and were checked: their debits cannot be refused.
    write_renewals(lines, actor=actor, claimed=claimed,
                   result=bulk_result_summary(result), note=BULK_RENEWAL)
    outbox.record(EventType.RENEWED, [line.subscription for line in lines])
    logger.info(
        "bulk_renewal subscriptions=%d years=%d licenses=%d pools=%s actor=%s",
        len(lines), years, result.licenses,
        ",".join(f"{pool.pool_id}:{pool.debit}" for pool in pools), actor,
    )
    return result


def bulk_result_summary(result):
    """A bulk renewal's answer, objects named by id as the API names them, with the
    organization's name beside its id: stored with the form token and answered by the
    API (which adds its deprecated spellings)."""
    return {
        "subscriptions": [line.subscription.pk for line in result.renewals],
        "count": len(result.renewals),
        "licenses": result.licenses,
        "renewals": [
            {
                "subscription": line.subscription.pk,
                "start_date": line.start.isoformat(),
                "end_date": line.end.isoformat(),
                "users": line.users,
                "years": line.years,
                "licenses": line.licenses,
                "planned": line.planned,
            }
            for line in result.renewals
        ],
        "pools": [
            {
                "pool": pool.pool_id,
                "organization": pool.organization.pk,
                "organization_name": pool.organization.name,
                "product": pool.product.code,
                "balance": pool.balance,
                "debit": pool.debit,
                "balance_after": pool.balance_after,
            }
            for pool in result.pools
        ],
    }
