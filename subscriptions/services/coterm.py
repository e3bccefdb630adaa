"""Co-terming a client's subscriptions on one end date (docs/rules.md rule 20), from its
page or the API: all or nothing, in one transaction.

It locks every subscription of the client, then every paying pool concerned, each in pk
order (`locks`), runs the simulator's plan (selectors/coterm.py) again under the locks,
refuses when a pool cannot pay, and writes the extension terms, the subscriptions' rows
(as a renewal does: the current term becomes the previous one), one ledger line per pool
and the `CoTerming` that groups them, so that it can be undone whole (rule 21).
"""

import datetime
import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from portal.numbers import figures
from webhooks.events import EventType
from webhooks.services import outbox

from ..dates import local_today
from ..models import (
    Client,
    CoTermDebit,
    CoTermExtension,
    CoTerming,
    LicensePool,
    MovementKind,
    Subscription,
    TermKind,
)
from ..selectors.coterm import (
    CotermPlan,
    client_subscriptions,
    coterm_preview,
    end_date_error,
    plan_lines,
    pool_totals,
)
from . import audited, idempotency, ledger, locks
from .errors import OperationRefused
from .renewal_writer import queue_terms

logger = logging.getLogger("portal.operations")

# More than any client has; a bound on what a form or a request may name.
COTERM_MAX = 1_000


@dataclass
class CotermResult:
    coterming: CoTerming
    plan: CotermPlan

    @property
    def licenses(self):
        return self.plan.licenses


def chosen_ids(values):
    """The subscription ids a form or a request names, as a set; OperationRefused on the
    `subscriptions` field when they are not ids or too many."""
    try:
        ids = {int(value) for value in values}
    except (TypeError, ValueError):
        raise OperationRefused(
            _("Select the subscriptions to extend."), field="subscriptions"
        ) from None
    if not ids:
        raise OperationRefused(_("Select at least one subscription."), field="subscriptions")
    if len(ids) > COTERM_MAX:
        raise OperationRefused(
            _("Select at most %(max)s subscriptions at once.") % figures({"max": COTERM_MAX}),
            field="subscriptions",
        )
    return ids


def check_end(end, subscriptions, *, today):
    """OperationRefused on the `end` field when rule 20 does not allow `end`."""
    if not isinstance(end, datetime.date):
        raise OperationRefused(_("Enter a valid date."), field="end", code="invalid_date")
    error = end_date_error(
        end, {subscription.current_end for subscription in subscriptions}, today=today
    )
    if error:
        raise OperationRefused(error, field="end", code="date_not_allowed")


def short_pools_refusal(pools):
    """The refusal naming every pool that cannot pay and how many licenses it lacks."""
    short = [pool for pool in pools if pool.missing]
    if not short:
        return None
    parts = [
        ngettext(
            "%(missing)s license of %(product)s is missing in the pool of %(organization)s "
            "(%(balance)s remaining, %(needed)s needed)",
            "%(missing)s licenses of %(product)s are missing in the pool of %(organization)s "
            "(%(balance)s remaining, %(needed)s needed)",
            pool.missing,
        ) % figures({
            "missing": pool.missing, "product": pool.product.name,
            "organization": pool.organization.name, "balance": pool.balance,
            "needed": pool.debit,
        })
        for pool in short
    ]
    return OperationRefused(
        _("Not enough licenses: %(details)s. Nothing was changed.")
        % {"details": pgettext("list separator", "; ").join(parts)},
        field="subscriptions",
        code="not_enough_licenses",
        missing={pool.pool_id: pool.missing for pool in short},
    )


def _not_the_clients():
    return OperationRefused(
        _("A selected subscription is not one of this client’s."),
        field="subscriptions", code="not_found",
    )


def simulate_coterm(client, *, end, subscription_ids=None, today=None):
    """What `coterm_subscriptions` would do now (a dry run): the same checks and
    refusals, nothing locked or written. `subscription_ids` None: every one."""
    today = today or local_today()
    subscriptions = client_subscriptions(client, today=today)
    chosen = None if subscription_ids is None else chosen_ids(subscription_ids)
    if chosen is not None and not chosen <= {subscription.pk for subscription in subscriptions}:
        raise _not_the_clients()
    check_end(end, subscriptions, today=today)
    return coterm_preview(
        client, end=end, chosen=chosen, today=today, subscriptions=subscriptions
    )


def _lock(client_id, *, today):
    """The client (scope checked by the caller) and all its subscriptions, locked in pk
    order, with their status as they are under the lock."""
    client = Client.objects.select_related("partner", "reseller").get(pk=client_id)
    subscriptions = list(locks.subscriptions_for_update(
        Subscription.objects.with_status(today).filter(client_id=client_id)
        .select_related("product")
    ))
    return client, subscriptions


def _lock_pools(pools):
    """Creates the missing pools, locks them all in pk order and reads their balances."""
    ids = ledger.pools_for([pool.key for pool in pools])
    locked = locks.lock_pools(ids.values())
    for pool in pools:
        pool.pool_id = ids[pool.key]
        pool.balance = locked[pool.pool_id].balance
    return pools


def result_summary(result):
    """What a repeated submission of the same form token answers."""
    return {
        "coterming_id": result.coterming.pk,
        "client_id": result.coterming.client_id,
        "end": result.plan.end.isoformat(),
        "count": len(result.plan.extended),
        "licenses": result.licenses,
    }


@transaction.atomic
def coterm_subscriptions(*, actor, client_id, end, subscription_ids, token=None, today=None):
    """Rule 20: extend the chosen subscriptions of the client to `end`, all or none.

    `subscription_ids` must all be the client's (a refusal otherwise: never extend another
    client's); those rule 20 leaves out are left out, and at least one must be extended.
    Callers check the scope (the client is one the actor may see) and the manager role.
    """
    claimed = idempotency.claim_form_token(token, actor=actor, operation="coterm")
    today = today or local_today()
    chosen = chosen_ids(subscription_ids)
    client, subscriptions = _lock(client_id, today=today)
    if not chosen <= {subscription.pk for subscription in subscriptions}:
        raise _not_the_clients()
    check_end(end, subscriptions, today=today)
    lines = plan_lines(subscriptions, end=end, chosen=chosen, today=today)
    plan = CotermPlan(end=end, lines=lines, pools=pool_totals(lines, client))
    if not plan.extended:
        raise OperationRefused(
            _("None of the selected subscriptions can be extended to this date."),
            field="subscriptions", code="nothing_to_extend",
        )
    _lock_pools(plan.pools)
    refusal = short_pools_refusal(plan.pools)
    if refusal:
        raise refusal
    coterming = CoTerming.objects.create(
        client=client, end_date=end, licenses=plan.licenses, created_by=actor
    )
    _write(plan, coterming, actor=actor)
    outbox.record(EventType.COTERMINATED, [line.subscription for line in plan.extended])
    audited.coterm(plan, client, actor=actor)
    result = CotermResult(coterming=coterming, plan=plan)
    idempotency.remember(claimed, result_summary(result))
    logger.info(
        "coterm client=%s end=%s subscriptions=%d licenses=%d pools=%s actor=%s",
        client.pk, end, len(plan.extended), plan.licenses,
        ",".join(f"{pool.pool_id}:{pool.debit}" for pool in plan.pools), actor,
    )
    return result


def _write(plan, coterming, *, actor):
    """The terms, the subscriptions' rows, then the debits (last: each holds its pool's
    row lock until the commit, as in renewal_writer)."""
    extended = plan.extended
    terms = queue_terms(
        extended, [line.cost for line in extended], kind=TermKind.COTERM, actor=actor
    )
    pool_ids = {pool.key: pool.pool_id for pool in plan.pools}
    payer_id = coterming.client.paying_organization.pk
    CoTermExtension.objects.bulk_create([
        CoTermExtension(
            coterming=coterming, term=term,
            pool_id=pool_ids[(payer_id, line.subscription.product_id)],
        )
        for line, term in zip(extended, terms, strict=True)
    ])
    debits = []
    for pool in sorted(plan.pools, key=lambda pool: pool.pool_id):
        movement = ledger.move(
            LicensePool(pk=pool.pool_id), -pool.debit, kind=MovementKind.COTERM,
            actor=actor, field="subscriptions",
        )
        debits.append(CoTermDebit(coterming=coterming, movement=movement))
    CoTermDebit.objects.bulk_create(debits)
