"""Renewing one subscription: the form with the paying pool's balance, and what a
repeated submission answers."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from accounts.access import manager_required
from accounts.models import Scope
from portal.numbers import figures

from .. import selectors, services
from ..dates import local_today, term_end
from ..forms import RenewalForm
from ..models import Subscription
from ..services.idempotency import issue_token
from ..tables import status_badge
from .common import already_submitted, bounded_int, visible_subscription_or_404


def _renewal_message(*, product, client, end_date, licenses):
    return ngettext(
        "%(product)s subscription of %(client)s renewed until %(date)s — %(licenses)s "
        "license debited.",
        "%(product)s subscription of %(client)s renewed until %(date)s — %(licenses)s "
        "licenses debited.",
        licenses,
    ) % figures({
        "product": product,
        "client": client,
        "date": formats.date_format(end_date, "SHORT_DATE_FORMAT"),
        "licenses": licenses,
    })


def _renewal_done(request, subscription, result):
    """What a repeated submission answers: the first one's confirmation, nothing more."""
    try:
        end_date = datetime.date.fromisoformat(result["end_date"])
        licenses = int(result["licenses"])
        same_subscription = int(result["subscription_id"]) == subscription.pk
    except (KeyError, TypeError, ValueError):
        same_subscription = False
    if not same_subscription:
        already_submitted(request)
    else:
        messages.success(
            request,
            _renewal_message(
                product=subscription.product.name,
                client=subscription.client.name,
                end_date=end_date,
                licenses=licenses,
            ),
        )
    return redirect("renewals")


@login_required
@manager_required
@require_http_methods(["GET", "POST"])
def renew(request, pk):
    if request.method == "POST":
        # A valid form goes to the service as it is: the scope is checked there, under
        # the lock, and a renewal reads its subscription once. The
        # page is read only to be shown again.
        form = RenewalForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                result = services.renew_subscription(
                    actor=request.user,
                    subscription_id=pk,
                    years=form.cleaned_data["years"],
                    users=form.cleaned_data["users"],
                    token=form.cleaned_data["token"],
                    scope=Scope.for_user(request.user),
                )
            except Subscription.DoesNotExist:
                raise Http404(_("This page does not exist.")) from None
            except services.AlreadyDone as done:
                subscription = visible_subscription_or_404(request.user, pk)
                return _renewal_done(request, subscription, done.result)
            except services.OperationRefused as refusal:
                field = refusal.field if refusal.field in form.fields else None
                form.add_error(field, refusal.message)
            else:
                renewed = result.subscription
                messages.success(
                    request,
                    # The copies of the client's and product's names on the row.
                    _renewal_message(
                        product=renewed.product_name,
                        client=renewed.client_name,
                        end_date=result.term.end_date,
                        licenses=result.licenses,
                    ),
                )
                return redirect("renewals")
    subscription = visible_subscription_or_404(request.user, pk)
    client = subscription.client
    payer = client.paying_organization
    # Rule 22: the renewal plan, when there is one, fills the form.
    if subscription.renewal_users and subscription.renewal_years:
        initial = {"years": subscription.renewal_years, "users": subscription.renewal_users}
    else:
        initial = {"years": 1, "users": subscription.current_users}

    if request.method == "POST":
        form.for_client(client)
        # A fresh token for the next attempt: the one just sent may be spent or invalid.
        form.data = form.data.copy()
        form.data["token"] = issue_token(request.user)
        # The figures the user typed, when they are numbers, like the browser shows them.
        cost_years = bounded_int(form.data.get("years"), initial["years"], services.MAX_YEARS)
        cost_users = bounded_int(form.data.get("users"), initial["users"], services.MAX_USERS)
    else:
        form = RenewalForm(
            initial={**initial, "token": issue_token(request.user)},
            user=request.user,
            client=client,
        )
        cost_years, cost_users = initial["years"], initial["users"]

    pool_id, balance = services.pool_balance(payer, subscription.product)
    renewable = subscription.status in selectors.Status.RENEWABLE
    today = local_today()
    new_start = (
        services.new_term_start(subscription, subscription.status, today) if renewable else None
    )
    return render(
        request,
        "subscriptions/renew.html",
        {
            "subscription": subscription,
            "client": client,
            "payer": payer,
            "pool_id": pool_id,
            "balance": balance,
            "balance_after": balance - cost_years * cost_users,
            "form": form,
            "renewable": renewable,
            "status_badge": status_badge(subscription.status),
            "new_start": new_start,
            # Rule 3, as renewal.js repeats it when the years change.
            "new_end": term_end(new_start, cost_years) if new_start else None,
            "date_format": formats.get_format("SHORT_DATE_FORMAT"),
        },
    )
