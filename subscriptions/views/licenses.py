"""The licenses page (pools, the ledger of movements, the shortfall) and a partner's
allocation of licenses to or from its resellers."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from accounts.access import manager_required
from accounts.models import OrganizationKind
from portal.numbers import figures

from .. import services
from ..filtersets import MovementFilterSet
from ..forms import AllocationForm
from ..selectors import asked_pool_page, pool_page
from ..selectors.plans import auto_renew_due
from ..selectors.scope import Visible
from ..services.idempotency import issue_token
from ..tables import MovementTable
from .common import PER_PAGE_CHOICES, already_submitted, configure_table, set_empty_text


def _may_allocate(scope):
    return scope.can_manage and (scope.everything or scope.kind == OrganizationKind.PARTNER)


def _pool_page(request):
    """The page of pools the query string asks for (docs/interface.md, "Pages of pools")."""
    return pool_page(request.user, **asked_pool_page(request.GET))


@require_GET
@login_required
def licenses(request):
    visible = Visible(request.user)
    filterset = MovementFilterSet(request.GET, queryset=visible.movements(), request=request)
    table = MovementTable(filterset.rows.order_by("-created_at", "-pk"))
    configure_table(request, table)
    set_empty_text(
        table,
        filterset,
        request,
        filtered=_("No ledger line matches these filters."),
        unfiltered=_("No license movement."),
    )
    allocation_form = None
    if _may_allocate(visible.scope):
        allocation_form = AllocationForm(
            initial={"token": issue_token(request.user)},
            user=request.user,
            resellers=visible.resellers(),
            with_partner=visible.scope.everything,
            # The ledger's filters share field names (product): ids must stay unique.
            auto_id="id_allocation_%s",
        )
    pools = _pool_page(request)
    return render(
        request,
        "subscriptions/licenses.html",
        {
            "pools": pools.rows,
            "pool_page": pools,
            "filter": filterset,
            "table": table,
            "allocation_form": allocation_form,
            "per_page_choices": PER_PAGE_CHOICES,
            "shortfall": pools.rows,
            "auto_renew_due": auto_renew_due(request.user),
        },
    )


def _allocation_message(result):
    if result.get("direction") == services.TAKE:
        text = ngettext(
            "%(quantity)s %(product)s license taken back from %(reseller)s.",
            "%(quantity)s %(product)s licenses taken back from %(reseller)s.",
            result["quantity"],
        )
    else:
        text = ngettext(
            "%(quantity)s %(product)s license given to %(reseller)s.",
            "%(quantity)s %(product)s licenses given to %(reseller)s.",
            result["quantity"],
        )
    return text % figures(result)


@login_required
@manager_required
@require_http_methods(["GET", "POST"])
def allocate(request):
    visible = Visible(request.user)
    # A reseller has no resellers of its own: nothing to allocate to.
    if not _may_allocate(visible.scope):
        # Rendered by 403.html, in the user's language (not the read-only users' message).
        raise PermissionDenied(_("Only the partner's managers can give licenses to resellers."))
    resellers = visible.resellers()
    if request.method == "POST":
        form = AllocationForm(
            request.POST,
            user=request.user,
            resellers=resellers,
            with_partner=visible.scope.everything,
        )
        if form.is_valid():
            data = form.cleaned_data
            reseller = data["reseller"]
            try:
                services.allocate_licenses(
                    partner=reseller.parent,
                    reseller=reseller,
                    product=data["product"],
                    quantity=data["quantity"],
                    direction=data["direction"],
                    actor=request.user,
                    token=data["token"],
                )
            except services.AlreadyDone as done:
                result = done.result
                if {"direction", "quantity", "product", "reseller"} <= set(result):
                    messages.success(request, _allocation_message(result))
                else:
                    already_submitted(request)
                return redirect("licenses")
            except services.OperationRefused as refusal:
                field = refusal.field if refusal.field in form.fields else None
                form.add_error(field, refusal.message)
            else:
                messages.success(
                    request,
                    _allocation_message(
                        {
                            "direction": data["direction"],
                            "quantity": data["quantity"],
                            "product": data["product"].name,
                            "reseller": reseller.name,
                        }
                    ),
                )
                return redirect("licenses")
        form.data = form.data.copy()
        form.data["token"] = issue_token(request.user)
    else:
        form = AllocationForm(
            initial={"token": issue_token(request.user)},
            user=request.user,
            resellers=resellers,
            with_partner=visible.scope.everything,
        )
    pools = _pool_page(request)
    return render(
        request,
        "subscriptions/allocate.html",
        {
            "form": form,
            "pools": pools.rows,
            "pool_page": pools,
        },
    )
