"""What several screens share: paging and ordering a table from the query string,
bounded numbers typed in a form, one subscription of the user's scope (or a 404), the way
back to the list the user came from, the answer to a form sent twice, and what an empty
list says."""

from urllib.parse import urlsplit

from django.contrib import messages
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.http import Http404
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_tables2 import RequestConfig

from .. import selectors
from ..models import Subscription
from ..tables import DeferredRowsPaginator

PER_PAGE = 25
MAX_PER_PAGE = 500
# What the lists' "rows per page" menu offers.
PER_PAGE_CHOICES = (25, 50, 100, 500)


def positive_int(value, default):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if number > 0 else default


def bounded_int(value, default, maximum):
    number = positive_int(value, default)
    return number if number <= maximum else default


class _TableConfig(RequestConfig):
    """RequestConfig that takes page and per_page from us, already checked and bounded."""

    def configure(self, table):
        table.request = self.request
        order_by = self.request.GET.getlist(table.prefixed_order_by_field)
        if order_by:
            table.order_by = order_by
        table.paginate(**self.paginate)
        return table


def configure_table(request, table, *, paginator_class=DeferredRowsPaginator):
    """Ordering from `?sort=`, pagination from `?page=` and `?per_page=` (at most 500).

    A page that does not exist answers 404, as Django's own list views do, instead of
    quietly showing another page than the one asked for.
    """
    per_page = min(positive_int(request.GET.get("per_page"), PER_PAGE), MAX_PER_PAGE)
    config = {"per_page": per_page, "paginator_class": paginator_class}
    if "page" in request.GET:
        try:
            config["page"] = int(request.GET["page"])
        except ValueError:
            raise Http404(_("This page does not exist.")) from None
    try:
        _TableConfig(request, paginate=config).configure(table)
    except (EmptyPage, PageNotAnInteger):
        raise Http404(_("This page does not exist.")) from None
    return table


def set_empty_text(table, filterset, request, *, filtered, unfiltered):
    """What the list says when it has no row: that nothing matches its filters, with a
    link clearing them (and keeping the rest: sort, rows per page, the grouping), when
    filters narrow it; its own message (`unfiltered`) when it is empty by itself."""
    if not filterset.active:
        table.empty_text = format_html('<span data-testid="list-empty">{}</span>', unfiltered)
        return
    kept = request.GET.copy()
    for name in (*filterset.filters, "page"):
        kept.pop(name, None)
    clear_url = f"{request.path}?{kept.urlencode()}" if kept else request.path
    table.empty_text = format_html(
        '<span data-testid="list-empty-filtered">{}</span> '
        '<a href="{}" data-testid="clear-filters">{}</a>',
        filtered,
        clear_url,
        _("Clear the filters"),
    )


def visible_subscription_or_404(user, pk):
    """One subscription in the user's scope with its status and current term (but not its
    paying pool), classified in Python without building the status CASE in the ORM: the
    pages about one subscription (renewal, undoing it, the "not renewing" mark)."""
    try:
        return selectors.visible_subscription(user, pk)
    except Subscription.DoesNotExist:
        raise Http404(_("This page does not exist.")) from None


def back_to_list(request):
    """Where the record's breadcrumb leads: the list the user came from (`?back=`, with its
    filters), only when it is one of our lists on this site; otherwise the client list.
    Returns (url, label, tab): tab is the list's url name, the navigation tab to highlight."""
    back = request.GET.get("back", "")
    if back and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        path = urlsplit(back).path
        if path == reverse("renewals"):
            return back, _("Clients to renew"), "renewals"
        if path == reverse("client_list"):
            return back, _("Client list"), "client_list"
    return reverse("client_list"), _("Client list"), "client_list"


def already_submitted(request):
    """A form sent again whose first answer cannot be told any more: say that nothing more
    changed, rather than an error the user would try to fix."""
    messages.info(request, _("This form was already submitted; nothing more was changed."))
