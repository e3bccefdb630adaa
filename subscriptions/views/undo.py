"""Undoing the last renewal or add-on (rules 14 and 21) and marking a subscription as
not renewing (rule 15)."""

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


def _undone_message(result, *, product, client):
    values = figures({"product": product, "client": client, "licenses": result.licenses,
                      "users": result.operation.users})
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
    latest renewal or add-on; the URL keeps the name it had when only renewals were."""
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
        error = _("This subscription has no operation that can still be cancelled.")
    return render(
        request,
        "subscriptions/cancel_renewal.html",
        {
            "subscription": subscription,
            "client": client,
            "operation": operation,
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
