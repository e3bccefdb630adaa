"""The two lists of subscriptions: the client list and the clients to renew (rule 15's
"not renewing" ones listed on request). Both filter, sort, page and export alike."""

import functools

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .. import exports, selectors
from ..filtersets import SubscriptionFilterSet, asks_for_not_renewing
from ..selectors.companies import company_rows
from ..selectors.scope import Visible
from ..tables import ClientListTable, RenewalTable
from ..tables.company_list import CompanyPaginator, CompanyTable
from ..tables.subscription_lists import ROW_FIELDS
from .common import PER_PAGE_CHOICES, configure_table, set_empty_text

BY_COMPANY = "company"


def _subscription_list(
    request, *, rows, table_class, template, title, default_order, empty, statuses=None
):
    """`empty`: what the list says with no row, (when filtered, when not)."""
    visible = Visible(request.user)
    filterset = SubscriptionFilterSet(
        request.GET, queryset=rows, request=request, statuses=statuses
    )
    # The rows show the client, its reseller and the product, never the partner: a
    # partner per row would be built for nothing.
    rows = filterset.rows.select_related(None).select_related(
        "client", "client__reseller", "product"
    ).order_by(*default_order)
    exporting = exports.requested_format(request)
    if not exporting:
        # A page reads the fields its rows show (an export reads its columns' values).
        rows = rows.only(*ROW_FIELDS)
    table = table_class(rows, can_manage=visible.scope.can_manage)
    if statuses is None and not filterset.active:
        # Nothing narrows the list: its rows are the scope's, counted and paged without
        # the joins and CASE of the status (DeferredRowsPaginator).
        table.plain_rows = selectors.plain_subscription_rows(request.user)
        table.current_end_keys = functools.partial(selectors.current_end_keys, request.user)
    elif statuses is None and (searched := filterset.only_name_search()):
        # Searched by name only: the pages in name order come from the first matching
        # clients by name, not from every match (DeferredRowsPaginator).
        table.name_search_keys = functools.partial(
            selectors.searched_name_keys, request.user, searched
        )
    if exporting:
        return exports.export_table(
            request, table, basename=request.resolver_match.url_name, title=title
        )
    configure_table(request, table)
    set_empty_text(table, filterset, request, filtered=empty[0], unfiltered=empty[1])
    return render(
        request,
        template,
        {
            "title": title,
            "filter": filterset,
            "table": table,
            "per_page_choices": PER_PAGE_CHOICES,
        },
    )


def _company_list(request, *, title):
    """*Liste des clients* by company (`?by=company`): the same filters, sort, pages and
    exports as by subscription, over one row per client of the filtered rows."""
    visible = Visible(request.user)
    filterset = SubscriptionFilterSet(
        request.GET, queryset=visible.subscriptions(), request=request
    )
    rows = filterset.rows
    table = CompanyTable(
        company_rows(rows).order_by("client_name", "client_id"),
        subscription_rows=rows,
        can_manage=visible.scope.can_manage,
    )
    if exports.requested_format(request):
        return exports.export_table(request, table, basename="client_list_by_company", title=title)
    configure_table(request, table, paginator_class=CompanyPaginator)
    table.load_products()
    set_empty_text(
        table,
        filterset,
        request,
        filtered=_("No client matches these filters."),
        unfiltered=_("No client yet."),
    )
    return render(
        request,
        "subscriptions/client_list.html",
        {
            "title": title,
            "filter": filterset,
            "table": table,
            "per_page_choices": PER_PAGE_CHOICES,
            "by_company": True,
        },
    )


@require_GET
@login_required
def client_list(request):
    if request.GET.get("by") == BY_COMPANY:
        return _company_list(request, title=_("Client list by company"))
    return _subscription_list(
        request,
        rows=Visible(request.user).subscriptions(),
        table_class=ClientListTable,
        template="subscriptions/client_list.html",
        title=_("Client list"),
        default_order=("client_name", "product_name", "pk"),
        empty=(_("No subscription matches these filters."), _("No subscription yet.")),
    )


@require_GET
@login_required
def renewals(request):
    return _subscription_list(
        request,
        # Rule 15: the marked ones are out of "to renew", and listed on request.
        rows=selectors.renewal_rows(
            request.user, not_renewing=asks_for_not_renewing(request.GET)
        ),
        table_class=RenewalTable,
        template="subscriptions/renewals.html",
        title=_("Clients to renew"),
        # The current end of a subscription to renew is its term_end (see RenewalTable).
        default_order=("term_end", "pk"),
        empty=(
            _("No subscription to renew matches these filters."),
            _("Nothing to renew: no subscription is expiring or expired."),
        ),
        statuses=selectors.Status.TO_RENEW,
    )
