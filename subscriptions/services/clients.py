"""A new client with its first subscription, and a further product for an existing client
(docs/rules.md rule 8), each debited from the pool of the organization managing it."""

import datetime
import logging

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import OrganizationKind

from ..dates import local_today, term_end
from ..models import Client, MovementKind, Subscription, Term, TermKind
from . import audited, idempotency, ledger
from .errors import OperationRefused, check_users_years

logger = logging.getLogger("portal.operations")


@transaction.atomic
def create_client(
    *,
    actor,
    partner,
    name,
    product,
    users,
    years,
    start_date,
    reseller=None,
    token=None,
    today=None,
):
    """Rule 8: a new client and its first subscription, paid by the managing organization."""
    claimed = idempotency.claim_form_token(token, actor=actor, operation="create_client")
    today = today or local_today()
    name = (name or "").strip()
    if not name:
        raise OperationRefused(_("Enter the client's name."), field="name")
    # Checked here, not left to the column: PostgreSQL would answer a DataError (a 500)
    # and SQLite would store the name whole.
    max_length = Client._meta.get_field("name").max_length
    if len(name) > max_length:
        raise OperationRefused(
            _("The client's name is at most %(max)s characters long.") % {"max": max_length},
            field="name",
        )
    if partner.kind != OrganizationKind.PARTNER:
        raise OperationRefused(_("Select a partner."), field="partner")
    if reseller is not None and (
        reseller.kind != OrganizationKind.RESELLER or reseller.parent_id != partner.pk
    ):
        raise OperationRefused(_("Select one of the partner's resellers."), field="reseller")
    check_users_years(users, years)
    _check_start_date(start_date, today)
    client = Client.objects.create(name=name, partner=partner, reseller=reseller)
    return _open_subscription(
        client=client, product=product, users=users, years=years, start_date=start_date,
        actor=actor, claimed=claimed, created_client=True,
    )


@transaction.atomic
def add_subscription(
    *, actor, client, product, users, years, start_date, token=None, today=None
):
    """A further product for an existing client, on the same terms as a creation (rule 8)."""
    claimed = idempotency.claim_form_token(token, actor=actor, operation="add_subscription")
    today = today or local_today()
    check_users_years(users, years)
    _check_start_date(start_date, today)
    if Subscription.objects.filter(client=client, product=product).exists():
        raise OperationRefused(
            _("This client already has a subscription to %(product)s: renew it instead.")
            % {"product": product.name},
            field="product",
        )
    return _open_subscription(
        client=client, product=product, users=users, years=years, start_date=start_date,
        actor=actor, claimed=claimed,
    )


def _check_start_date(start_date, today):
    # A datetime is a date subclass that cannot be compared with one: refuse it as bad input.
    if (
        not isinstance(start_date, datetime.date)
        or isinstance(start_date, datetime.datetime)
        or start_date < today
    ):
        raise OperationRefused(_("The start date must be today or later."), field="start_date")


def _open_subscription(
    *, client, product, users, years, start_date, actor, claimed, created_client=False
):
    """A first term, debited from the pool of the organization managing the client; what
    was done is stored on the form's token (`claimed`) for a repeated submission."""
    end = term_end(start_date, years)
    subscription = Subscription.objects.create(
        client=client,
        product=product,
        term_start=start_date,
        term_end=end,
        users=users,
        years=years,
        # Rule 23: the partner's default for its clients and its resellers'.
        auto_renew=client.partner.auto_renew_new_clients,
    )
    cost = users * years
    term = Term.objects.create(
        subscription=subscription,
        kind=TermKind.CREATION,
        start_date=start_date,
        end_date=end,
        users=users,
        years=years,
        licenses=cost,
        created_by=actor,
    )
    payer = client.paying_organization
    pool = ledger.pool_for(payer.pk, product.pk)
    ledger.move(
        pool, -cost, kind=MovementKind.CREATION, actor=actor, field="users",
        subscription=subscription, term=term,
    )
    logger.info(
        "subscription_opened client=%s payer=%s product=%s users=%d years=%d licenses=%d "
        "actor=%s",
        client.pk, payer.pk, product.code, users, years, cost, actor,
    )
    audited.subscription_opened(subscription, created_client=created_client, cost=cost, actor=actor)
    idempotency.remember(claimed, {
        "client_id": client.pk,
        "subscription_id": subscription.pk,
        "licenses": cost,
    })
    return subscription
