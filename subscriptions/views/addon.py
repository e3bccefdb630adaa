"""Adding users to a subscription mid-term (docs/rules.md rule 19): the form with the
cost's split and the paying pool's balance, and what a repeated submission answers."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from accounts.access import manager_required
from accounts.models import Scope
from portal.numbers import figures

from .. import services
from ..dates import local_today
from ..forms import AddUsersForm
from ..models import Subscription
from ..services.addon import current_terms
from ..services.idempotency import issue_token
from ..tables import status_badge
from .common import already_submitted, bounded_int, visible_subscription_or_404


def addon_message(*, product, client, users, licenses):
    return ngettext(
        "Users added to the %(product)s subscription of %(client)s: %(users)s — "
        "%(licenses)s license debited.",
        "Users added to the %(product)s subscription of %(client)s: %(users)s — "
        "%(licenses)s licenses debited.",
        licenses,
    ) % figures({"users": users, "product": product, "client": client, "licenses": licenses})


def _done(request, subscription, result):
    """What a repeated submission answers: the first one's confirmation, nothing more."""
    try:
        users, licenses = int(result["users"]), int(result["licenses"])
        same = int(result["subscription_id"]) == subscription.pk
    except (KeyError, TypeError, ValueError):
        same = False
    if not same:
        already_submitted(request)
    else:
        messages.success(request, addon_message(
            product=subscription.product.name, client=subscription.client.name,
            users=users, licenses=licenses,
        ))
    return redirect("client_detail", subscription.client_id)


@login_required
@manager_required
@require_http_methods(["GET", "POST"])
def add_users(request, pk):
    if request.method == "POST":
        form = AddUsersForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                result = services.add_users(
                    actor=request.user, subscription_id=pk,
                    users=form.cleaned_data["users"], token=form.cleaned_data["token"],
                    scope=Scope.for_user(request.user),
                )
            except Subscription.DoesNotExist:
                raise Http404(_("This page does not exist.")) from None
            except services.AlreadyDone as done:
                return _done(request, visible_subscription_or_404(request.user, pk), done.result)
            except services.OperationRefused as refusal:
                field = refusal.field if refusal.field in form.fields else None
                form.add_error(field, refusal.message)
            else:
                added = result.subscription
                messages.success(request, addon_message(
                    product=added.product_name, client=added.client_name,
                    users=result.plan.users, licenses=result.licenses,
                ))
                return redirect("client_detail", added.client_id)
    subscription = visible_subscription_or_404(request.user, pk)
    client = subscription.client
    payer = client.paying_organization
    if request.method == "POST":
        form.data = form.data.copy()
        form.data["token"] = issue_token(request.user)
        users = bounded_int(form.data.get("users"), 1, services.MAX_USERS)
    else:
        form = AddUsersForm(initial={"users": 1, "token": issue_token(request.user)},
                            user=request.user)
        users = 1
    pool_id, balance = services.pool_balance(payer, subscription.product)
    addable = subscription.status in services.addon.ADDABLE
    plan, parts = None, []
    if addable:
        terms = current_terms(subscription)
        try:
            plan = services.plan_addon(subscription, users, today=local_today(), terms=terms)
        except services.OperationRefused:
            # The typed figure is past the total allowed: the split of one user still
            # shows how the cost is made; the error is at the field.
            plan = services.plan_addon(subscription, 1, today=local_today(), terms=terms)
        parts = plan.parts
    cost = plan.licenses if plan else 0
    return render(request, "subscriptions/add_users.html", {
        "subscription": subscription,
        "client": client,
        "payer": payer,
        "pool_id": pool_id,
        "balance": balance,
        "cost": cost,
        "balance_after": balance - cost,
        "parts": parts,
        "form": form,
        "addable": addable,
        "status_badge": status_badge(subscription.status),
    })
