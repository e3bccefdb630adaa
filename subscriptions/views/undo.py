"""Undoing a renewal (rule 14) and marking a subscription as not renewing (rule 15)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from accounts.access import manager_required
from portal.numbers import figures

from .. import selectors, services
from ..forms import TOKEN_INVALID
from ..models import NotRenewingReason
from ..services.idempotency import issue_token, token_is_valid
from .common import already_submitted, visible_subscription_or_404


@login_required
@manager_required
@require_http_methods(["GET", "POST"])
def cancel_renewal(request, pk):
    subscription = visible_subscription_or_404(request.user, pk)
    client = subscription.client
    error = None
    if request.method == "POST":
        token = request.POST.get("token")
        if not token_is_valid(request.user, token):
            error = TOKEN_INVALID
        else:
            try:
                refund = services.cancel_renewal(
                    actor=request.user, subscription_id=subscription.pk, token=token
                )
            except services.AlreadyDone:
                already_submitted(request)
                return redirect("client_detail", client.pk)
            except services.OperationRefused as refusal:
                error = refusal.message
            else:
                messages.success(
                    request,
                    ngettext(
                        "The renewal of the %(product)s subscription of %(client)s was "
                        "cancelled — %(licenses)s license refunded.",
                        "The renewal of the %(product)s subscription of %(client)s was "
                        "cancelled — %(licenses)s licenses refunded.",
                        refund,
                    )
                    % figures({"product": subscription.product.name, "client": client.name,
                       "licenses": refund}),
                )
                return redirect("client_detail", client.pk)
    term = services.undoable_term(subscription.pk)
    if term is None and error is None:
        error = _("This subscription has no renewal that can still be cancelled.")
    return render(
        request,
        "subscriptions/cancel_renewal.html",
        {
            "subscription": subscription,
            "client": client,
            "term": term,
            "error": error,
            "token": issue_token(request.user),
        },
    )


@login_required
@manager_required
@require_http_methods(["GET", "POST"])
def not_renewing(request, pk):
    subscription = visible_subscription_or_404(request.user, pk)
    client = subscription.client
    error = None
    if request.method == "POST":
        if request.POST.get("clear"):
            services.clear_not_renewing(actor=request.user, subscription_id=subscription.pk)
            messages.success(request, _("The “not renewing” mark was removed."))
            return redirect("client_detail", client.pk)
        try:
            services.mark_not_renewing(
                actor=request.user,
                subscription_id=subscription.pk,
                reason=request.POST.get("reason", ""),
                comment=request.POST.get("comment", ""),
            )
        except services.OperationRefused as refusal:
            error = refusal.message
        else:
            messages.success(
                request,
                _("The %(product)s subscription of %(client)s is marked as not renewing.")
                % figures({"product": subscription.product.name, "client": client.name}),
            )
            return redirect("renewals")
    return render(
        request,
        "subscriptions/not_renewing.html",
        {
            "subscription": subscription,
            "client": client,
            "error": error,
            "reasons": NotRenewingReason.choices,
            "markable": subscription.status in selectors.Status.TO_RENEW,
            "selected": request.POST.get("reason", subscription.not_renewing_reason or ""),
            "comment": request.POST.get("comment", subscription.not_renewing_comment or ""),
        },
    )
