"""Bulk renewal (rule 13): a selection from the renewals list, previewed, then renewed in
one transaction."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from accounts.access import manager_required
from portal.numbers import figures

from .. import selectors, services
from ..filtersets import SubscriptionFilterSet
from ..forms import TOKEN_INVALID
from ..selectors.scope import Visible
from ..services.idempotency import issue_token, token_is_valid
from .common import already_submitted, bounded_int


def _bulk_selection(request, visible):
    """The subscriptions a bulk renewal form names, in the user's scope, by pk.

    Either ticked ids (`subscriptions`) or, with `all_matching`, every row of the renewals
    list matching the filters the form carries. An id outside the scope (or that does not
    exist, or is not a number) answers 404: the request names something the user cannot see.
    """
    rows = visible.subscriptions().order_by("pk")
    if request.POST.get("all_matching") == "1":
        filterset = SubscriptionFilterSet(
            request.POST, queryset=visible.subscriptions_to_renew(), request=request,
            statuses=selectors.Status.TO_RENEW,
        )
        return list(filterset.rows.order_by("pk")[: services.BULK_MAX + 1])
    raw = request.POST.getlist("subscriptions")
    try:
        ids = {int(value) for value in raw}
    except (TypeError, ValueError):
        raise Http404(_("This subscription does not exist.")) from None
    if len(ids) > services.BULK_MAX:
        return list(rows.filter(pk__in=sorted(ids)[: services.BULK_MAX + 1]))
    selection = list(rows.filter(pk__in=ids))
    if len(selection) != len(ids):
        raise Http404(_("This subscription does not exist."))
    return selection


def _strict_years(value):
    """1 to MAX_YEARS from a form field, or None when it is anything else."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= services.MAX_YEARS else None


def _years_changed_message(years):
    return ngettext(
        "Nothing was renewed: the number of years changed, so the preview now shows "
        "%(years)s year. Check it, then press OK.",
        "Nothing was renewed: the number of years changed, so the preview now shows "
        "%(years)s years. Check it, then press OK.",
        years,
    ) % figures({"years": years})


def _bulk_done_message(count, licenses):
    return ngettext(
        "%(count)s subscription renewed — %(licenses)s licenses debited.",
        "%(count)s subscriptions renewed — %(licenses)s licenses debited.",
        count,
    ) % figures({"count": count, "licenses": licenses})


@login_required
@manager_required
@require_http_methods(["POST"])
def bulk_renew(request):
    """POST a selection: the preview (200). POST the preview's form (`confirm`): renew
    them all in one transaction, then redirect to the renewals list with a message; with
    `refresh`, or with `years_selected` other than the previewed `years`, the preview
    again for `years_selected`."""
    visible = Visible(request.user)
    selection = _bulk_selection(request, visible)
    # `years` (a hidden field on the preview) is what the preview showed, hence what OK
    # renews; `years_selected` is the control next to OK. OK never renews for years the
    # page did not show (docs/interface.md, bulk preview): when they differ, the preview
    # is shown again for the years chosen, and nothing is renewed.
    years = bounded_int(request.POST.get("years"), 1, services.MAX_YEARS)
    error = notice = years_error = None
    error_details = []
    status = 200
    confirming = request.POST.get("confirm") == "1"
    invalid = _("Choose a number of years between 1 and %(max)s.") % {"max": services.MAX_YEARS}
    if confirming and "years" in request.POST and _strict_years(request.POST["years"]) is None:
        years_error = invalid
    if "years_selected" in request.POST:
        selected = _strict_years(request.POST["years_selected"])
        if selected is None:
            years_error = invalid
        elif request.POST.get("refresh") == "1" or selected != years:
            if confirming and request.POST.get("refresh") != "1":
                notice = _years_changed_message(selected)
            years, confirming = selected, False
    if years_error:
        confirming = False
    if not selection:
        messages.warning(request, _("Select at least one subscription to renew."))
        return redirect("renewals")
    if len(selection) > services.BULK_MAX:
        error = _("Select at most %(max)s subscriptions at once.") % figures(
            {"max": services.BULK_MAX}
        )
        selection = selection[: services.BULK_MAX]
    elif confirming:
        token = request.POST.get("token")
        if not token_is_valid(request.user, token):
            error, status = str(TOKEN_INVALID), 400
        else:
            try:
                result = services.renew_subscriptions(
                    actor=request.user,
                    subscription_ids=[subscription.pk for subscription in selection],
                    years=years,
                    token=token,
                )
            except services.AlreadyDone as done:
                count, licenses = done.result.get("count"), done.result.get("licenses")
                if isinstance(count, int) and isinstance(licenses, int):
                    messages.success(request, _bulk_done_message(count, licenses))
                else:
                    already_submitted(request)
                return redirect("renewals")
            except services.OperationRefused as refusal:
                error, error_details = refusal.message, refusal.details
                # Figures as they are now: another renewal may have moved them.
                selection = list(
                    visible.subscriptions().filter(pk__in=[s.pk for s in selection]).order_by("pk")
                )
            else:
                messages.success(request, _bulk_done_message(len(result.renewals), result.licenses))
                return redirect("renewals")
    preview = None
    try:
        preview = services.bulk_renewal_preview(selection, years=years)
    except services.OperationRefused as refusal:
        if error is None:
            error, error_details = refusal.message, refusal.details
    if preview is not None and error is None:
        refusal = services.short_pools_refusal(preview.pools)
        if refusal:
            error, error_details = refusal.message, refusal.details
    return render(
        request,
        "subscriptions/bulk_preview.html",
        {
            "preview": preview,
            "selection": selection,
            "years": years,
            "years_choices": range(1, services.MAX_YEARS + 1),
            "error": error,
            "error_details": error_details,
            "notice": notice,
            "years_error": years_error,
            "token": issue_token(request.user),
        },
        status=status,
    )
