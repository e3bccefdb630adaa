"""A subscription's renewal plan and auto-renew switch (rules 22 and 23)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.access import manager_required
from portal.numbers import figures

from .. import services
from ..forms import RenewalPlanForm
from ..selectors.plans import next_renewal
from .common import bounded_int, visible_subscription_or_404


def _saved_message(subscription):
    values = {"product": subscription.product.name, "client": subscription.client.name}
    if subscription.renewal_users:
        values.update(users=subscription.renewal_users, years=subscription.renewal_years)
        if subscription.auto_renew:
            text = _("The %(product)s subscription of %(client)s will renew automatically "
                     "for %(users)s users and %(years)s years.")
        else:
            text = _("The next renewal of the %(product)s subscription of %(client)s is "
                     "planned for %(users)s users and %(years)s years.")
    elif subscription.auto_renew:
        text = _("The %(product)s subscription of %(client)s will renew automatically "
                 "with its current users for one year.")
    else:
        text = _("The %(product)s subscription of %(client)s has no renewal plan and does "
                 "not renew automatically.")
    return text % figures(values)


@login_required
@manager_required
@require_http_methods(["GET", "POST"])
def renewal_plan(request, pk):
    subscription = visible_subscription_or_404(request.user, pk)
    client = subscription.client
    if request.method == "POST":
        form = RenewalPlanForm(request.POST)
        if form.is_valid():
            try:
                services.set_renewal_plan(
                    actor=request.user, subscription_id=subscription.pk,
                    users=form.cleaned_data["users"], years=form.cleaned_data["years"],
                    auto_renew=form.cleaned_data["auto_renew"],
                )
            except services.OperationRefused as refusal:
                form.add_error(refusal.field if refusal.field in form.fields else None,
                               refusal.message)
            else:
                subscription.renewal_users = form.cleaned_data["users"]
                subscription.renewal_years = form.cleaned_data["years"]
                subscription.auto_renew = form.cleaned_data["auto_renew"]
                messages.success(request, _saved_message(subscription))
                return redirect("client_detail", client.pk)
    else:
        form = RenewalPlanForm(initial={
            "auto_renew": subscription.auto_renew,
            "users": subscription.renewal_users,
            "years": subscription.renewal_years,
        })
    next = next_renewal(subscription)
    payer = client.paying_organization
    _pool_id, balance = services.pool_balance(payer, subscription.product)
    # The figures typed, when they are numbers (as the page's script reads them).
    typed_users = bounded_int(form.data.get("users"), 0, services.MAX_USERS)
    typed_years = bounded_int(form.data.get("years"), 0, services.MAX_YEARS)
    if form.is_bound and (typed_users or typed_years):
        cost = (typed_users or subscription.users) * (typed_years or 1)
    else:
        cost = next.licenses
    return render(
        request,
        "subscriptions/renewal_plan.html",
        {
            "subscription": subscription,
            "client": client,
            "form": form,
            "next": next,
            "payer": payer,
            "balance": balance,
            "cost": cost,
            "balance_after": balance - cost,
        },
    )
