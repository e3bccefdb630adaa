"""Undoing the last renewal, add-on or co-terming (rules 14 and 21) and marking a
subscription as not renewing (rule 15)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from accounts.access import manager_required
from portal.numbers import figures

from .. import selectors, services
from ..forms import TOKEN_INVALID
from ..models import NotRenewingReason
from ..services.idempotency import issue_token, token_is_valid
from ..services.undo_coterm import undo_plan
from .common import already_submitted, visible_subscription_or_404


def _undone_message(result, *, product, client):
    values = figures({"product": product, "client": client, "licenses": result.licenses,
                      "users": result.operation.users})
    if result.operation.kind == "coterm":
        plan = result.operation.undo_plan
        return ngettext(
            "The co-terming of %(client)s was cancelled: %(count)s subscription is back on "
            "its previous end date (licenses refunded: %(licenses)s).",
            "The co-terming of %(client)s was cancelled: %(count)s subscriptions are back "
            "on their previous end dates (licenses refunded: %(licenses)s).",
            plan.subscriptions,
        ) % figures({"client": client, "count": plan.subscriptions,
                     "licenses": result.licenses})
    if result.operation.kind == "addon":
        return ngettext(
            "The users last added to the %(product)s subscription of %(client)s "
            "(%(users)s) were removed — %(licenses)s license refunded.",
            "The users last added to the %(product)s subscription of %(client)s "
            "(%(users)s) were removed — %(licenses)s licenses refunded.",
            result.licenses,
        ) % values
    return ngettext(
        "The renewal of the %(product)s subscription of %(client)s was "
        "cancelled — %(licenses)s license refunded.",
        "The renewal of the %(product)s subscription of %(client)s was "
        "cancelled — %(licenses)s licenses refunded.",
        result.licenses,
    ) % values


@login_required
@manager_required
@require_http_methods(["GET", "POST"])
def cancel_renewal(request, pk):
    """Undoes the subscription's last license-moving operation (rules 14 and 21): its
    latest renewal, add-on or co-term extension (its whole co-terming); the URL keeps the
    name it had when only renewals were."""
    subscription = visible_subscription_or_404(request.user, pk)
    client = subscription.client
    error = None
    if request.method == "POST":
        token = request.POST.get("token")
        if not token_is_valid(request.user, token):
            error = TOKEN_INVALID
        else:
            try:
                result = services.undo_last_operation(
                    actor=request.user, subscription_id=subscription.pk, token=token
                )
            except services.AlreadyDone:
                already_submitted(request)
                return redirect("client_detail", client.pk)
            except services.OperationRefused as refusal:
                error = refusal.message
            else:
                messages.success(request, _undone_message(
                    result, product=subscription.product.name, client=client.name
                ))
                return redirect("client_detail", client.pk)
    operation = services.undoable_operation(subscription.pk)
    if operation is None and error is None:
        # Say why (too late, a later operation on one of a co-terming's subscriptions).
        refusal = services.undo_refusal(
            services.read_last_operation(subscription.pk), now=timezone.now()
        )
        error = refusal.message if refusal else _(
            "This subscription has no operation that can still be cancelled."
        )
    # Rule 21: what undoing the whole co-terming gives back, shown before OK.
    coterm_undo = undo_plan(operation.coterming) if operation and operation.coterming else None
    return render(
        request,
        "subscriptions/cancel_renewal.html",
        {
            "subscription": subscription,
            "client": client,
            "operation": operation,
            "coterm_undo": coterm_undo,
            "term": operation.term if operation else None,
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
