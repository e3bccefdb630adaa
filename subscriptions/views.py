"""The portal's screens: lists, the client record, client creation, renewal, licenses.

Access, in one place:
- `Visible(user)` (selectors.scope) builds every queryset a view reads from
  `visible_to(user)`, so an object outside the user's scope is a 404
  (`get_object_or_404` on a scoped queryset) and a form choice outside it is an invalid
  choice.
- `manager_required` answers 403 to read-only users before any other check of a request
  that would change something (docs/interface.md).
Writes go through `services.py` only.
"""

import datetime
from collections import namedtuple
from functools import wraps
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods
from django_tables2 import RequestConfig

from accounts.models import OrganizationKind, Scope

from . import exports, selectors, services
from .dates import local_today
from .filtersets import MovementFilterSet, SubscriptionFilterSet, asks_for_not_renewing
from .forms import TOKEN_INVALID, AllocationForm, ClientForm, RenewalForm
from .models import Subscription, Term
from .selectors import shortfall_rows
from .selectors.scope import Visible
from .tables import (
    STATUS_ROW_CLASSES,
    ClientListTable,
    DeferredRowsPaginator,
    MovementTable,
    RenewalTable,
    status_badge,
)
from .tokens import issue_token, token_is_valid

PER_PAGE = 25
MAX_PER_PAGE = 500


def manager_required(view):
    """Read-only users get 403 on anything that would change something, before any
    other check: they learn nothing about the objects named in the request."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not Scope.for_user(request.user).can_manage:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _positive_int(value, default):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if number > 0 else default


def _bounded_int(value, default, maximum):
    number = _positive_int(value, default)
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


def configure_table(request, table):
    """Ordering from `?sort=`, pagination from `?page=` and `?per_page=` (at most 500).

    A page that does not exist answers 404, as Django's own list views do, instead of
    quietly showing another page than the one asked for.
    """
    per_page = min(_positive_int(request.GET.get("per_page"), PER_PAGE), MAX_PER_PAGE)
    config = {"per_page": per_page, "paginator_class": DeferredRowsPaginator}
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


def _subscription_list(
    request, *, rows, table_class, template, title, default_order, statuses=None
):
    visible = Visible(request.user)
    filterset = SubscriptionFilterSet(
        request.GET, queryset=rows, request=request, statuses=statuses
    )
    table = table_class(
        filterset.rows.order_by(*default_order), can_manage=visible.scope.can_manage
    )
    if statuses is None and not filterset.active:
        # Nothing narrows the list: its rows are the scope's, counted and paged without
        # the joins and CASE of the status (DeferredRowsPaginator).
        table.plain_rows = selectors.plain_subscription_rows(request.user)
        if visible.scope.everything:
            table.current_end_keys = selectors.current_end_keys
    if exports.requested_format(request):
        return exports.export_table(
            request, table, basename=request.resolver_match.url_name, title=title
        )
    configure_table(request, table)
    return render(
        request,
        template,
        {
            "title": title,
            "filter": filterset,
            "table": table,
            "per_page_choices": (25, 50, 100, 500),
        },
    )


def _visible_subscription_or_404(user, pk):
    """One subscription in the user's scope with its status and current term (but not its
    paying pool), classified in Python without building the status CASE in the ORM: the
    pages about one subscription (renewal, undoing it, the "not renewing" mark)."""
    try:
        return selectors.visible_subscription(user, pk)
    except Subscription.DoesNotExist:
        raise Http404(_("This page does not exist.")) from None


@require_GET
@login_required
def client_list(request):
    return _subscription_list(
        request,
        rows=Visible(request.user).subscriptions(),
        table_class=ClientListTable,
        template="subscriptions/client_list.html",
        title=_("Client list"),
        default_order=("client_name", "product_name", "pk"),
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
        statuses=selectors.Status.TO_RENEW,
    )


def _back_to_list(request):
    """Where the record's breadcrumb leads: the list the user came from (`?back=`, with its
    filters), only when it is one of our lists on this site; otherwise the client list."""
    back = request.GET.get("back", "")
    if back and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        path = urlsplit(back).path
        if path == reverse("renewals"):
            return back, _("Clients to renew")
        if path == reverse("client_list"):
            return back, _("Client list")
    return reverse("client_list"), _("Client list")


@require_GET
@login_required
def client_detail(request, pk):
    visible = Visible(request.user)
    client = get_object_or_404(visible.clients(), pk=pk)
    subscriptions = list(
        visible.subscriptions().filter(client=client).order_by("product__name", "pk")
    )
    # The client is in scope, hence so are its terms.
    terms = list(
        Term.objects.filter(subscription__client=client)
        .select_related("subscription__product", "created_by", "cancelled_by")
        .order_by("subscription__product__name", "subscription_id", "start_date", "pk")
    )
    # Rule 14, from the terms already read: the latest live term of each subscription.
    latest_live = {}
    for term in terms:
        if term.cancelled_at is None:
            latest_live[term.subscription_id] = term
    now = timezone.now()
    movements = visible.movements().filter(subscription__client=client)[:200]
    for subscription in subscriptions:
        subscription.status_badge = status_badge(subscription.status)
        subscription.renewable = subscription.status in selectors.Status.RENEWABLE
        subscription.row_class = STATUS_ROW_CLASSES.get(subscription.status, "")
        subscription.undoable = visible.scope.can_manage and (
            services.undo_refusal(latest_live.get(subscription.pk), now=now) is None
        )
        subscription.markable = subscription.status in selectors.Status.TO_RENEW
    back_url, back_label = _back_to_list(request)
    return render(
        request,
        "subscriptions/client_detail.html",
        {
            "back_url": back_url,
            "back_label": back_label,
            "client": client,
            "subscriptions": subscriptions,
            "terms": terms,
            "movements": movements,
            "can_manage": visible.scope.can_manage,
        },
    )


# --- renewal ------------------------------------------------------------------------


def _renewal_message(*, product, client, end_date, licenses):
    return ngettext(
        "%(product)s subscription of %(client)s renewed until %(date)s — %(licenses)d "
        "license debited.",
        "%(product)s subscription of %(client)s renewed until %(date)s — %(licenses)d "
        "licenses debited.",
        licenses,
    ) % {
        "product": product,
        "client": client,
        "date": formats.date_format(end_date, "SHORT_DATE_FORMAT"),
        "licenses": licenses,
    }


def _renewal_done(request, subscription, result):
    """What a repeated submission answers: the first one's confirmation, nothing more."""
    try:
        end_date = datetime.date.fromisoformat(result["end_date"])
        licenses = int(result["licenses"])
        same_subscription = int(result["subscription_id"]) == subscription.pk
    except (KeyError, TypeError, ValueError):
        same_subscription = False
    if not same_subscription:
        messages.info(request, _("This form was already submitted; nothing more was changed."))
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
        # the lock, and a renewal reads its subscription once (docs/benchmarks.md). The
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
                subscription = _visible_subscription_or_404(request.user, pk)
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
    subscription = _visible_subscription_or_404(request.user, pk)
    client = subscription.client
    payer = client.paying_organization
    initial = {"years": 1, "users": subscription.current_users}

    if request.method == "POST":
        form.for_client(client)
        # A fresh token for the next attempt: the one just sent may be spent or invalid.
        form.data = form.data.copy()
        form.data["token"] = issue_token(request.user)
        # The figures the user typed, when they are numbers, like the browser shows them.
        cost_years = _bounded_int(form.data.get("years"), initial["years"], services.MAX_YEARS)
        cost_users = _bounded_int(form.data.get("users"), initial["users"], services.MAX_USERS)
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
            "new_start": (
                services.new_term_start(subscription, subscription.status, today)
                if renewable
                else None
            ),
        },
    )


# --- client creation ------------------------------------------------------------------


def _client_form_context(visible):
    """Who creates for whom: staff pick the partner; a partner may pick a reseller; a
    reseller creates for itself. Returns (form kwargs, partner, reseller) for the last two."""
    scope = visible.scope
    if scope.everything:
        return {"partners": visible.partners(), "resellers": visible.resellers()}, None, None
    own = visible.own_organization()
    if own is None:
        raise PermissionDenied
    if own.kind == OrganizationKind.RESELLER:
        return {}, own.parent, own
    return {"resellers": visible.resellers()}, own, None


def _client_created_message(client, licenses):
    return ngettext(
        "Client %(client)s created — %(licenses)d license debited from %(organization)s.",
        "Client %(client)s created — %(licenses)d licenses debited from %(organization)s.",
        licenses,
    ) % {
        "client": client.name,
        "licenses": licenses,
        "organization": client.paying_organization.name,
    }


@login_required
@manager_required
@require_http_methods(["GET", "POST"])
def client_new(request):
    visible = Visible(request.user)
    form_kwargs, fixed_partner, fixed_reseller = _client_form_context(visible)
    if request.method == "POST":
        form = ClientForm(request.POST, user=request.user, **form_kwargs)
        if form.is_valid():
            data = form.cleaned_data
            partner = data.get("partner") or fixed_partner
            reseller = data.get("reseller") if "reseller" in form.fields else fixed_reseller
            try:
                subscription = services.create_client(
                    actor=request.user,
                    partner=partner,
                    reseller=reseller,
                    name=data["name"],
                    product=data["product"],
                    users=data["users"],
                    years=data["years"],
                    start_date=data["start_date"],
                    token=data["token"],
                )
            except services.AlreadyDone as done:
                client = visible.clients().filter(pk=done.result.get("client_id")).first()
                if client is None:
                    messages.info(
                        request, _("This form was already submitted; nothing more was changed.")
                    )
                    return redirect("client_list")
                messages.success(
                    request, _client_created_message(client, int(done.result.get("licenses", 0)))
                )
                return redirect("client_detail", pk=client.pk)
            except services.OperationRefused as refusal:
                field = refusal.field if refusal.field in form.fields else None
                form.add_error(field, refusal.message)
            else:
                client = visible.clients().get(pk=subscription.client_id)
                messages.success(
                    request,
                    _client_created_message(client, subscription.users * subscription.years),
                )
                return redirect("client_detail", pk=client.pk)
        form.data = form.data.copy()
        form.data["token"] = issue_token(request.user)
    else:
        form = ClientForm(
            initial={"token": issue_token(request.user), "years": 1},
            user=request.user,
            **form_kwargs,
        )
    pools = visible.pools().order_by("organization__name", "product__name", "pk")
    if visible.scope.everything:
        pools = pools.none()
    return render(
        request,
        "subscriptions/client_new.html",
        {
            "form": form,
            "pools": pools,
            "fixed_partner": fixed_partner,
            "fixed_reseller": fixed_reseller,
        },
    )


# --- licenses -------------------------------------------------------------------------


def _may_allocate(scope):
    return scope.can_manage and (scope.everything or scope.kind == OrganizationKind.PARTNER)


ShownPool = namedtuple("ShownPool", "pk organization product code balance")


def _shown_pools(visible):
    """Every pool the user may see, as includes_pools.html writes it: tuples, read far
    faster than model instances with their organizations and products."""
    rows = visible.pools().order_by("organization__name", "product__name", "pk")
    return [
        ShownPool(*row)
        for row in rows.values_list(
            "pk", "organization__name", "product__name", "product__code", "balance"
        )
    ]


@require_GET
@login_required
def licenses(request):
    visible = Visible(request.user)
    filterset = MovementFilterSet(request.GET, queryset=visible.movements(), request=request)
    table = MovementTable(filterset.rows.order_by("-created_at", "-pk"))
    configure_table(request, table)
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
    return render(
        request,
        "subscriptions/licenses.html",
        {
            "pools": _shown_pools(visible),
            "filter": filterset,
            "table": table,
            "allocation_form": allocation_form,
            "per_page_choices": (25, 50, 100, 500),
            "shortfall": shortfall_rows(request.user),
        },
    )


def _allocation_message(result):
    if result.get("direction") == services.TAKE:
        text = ngettext(
            "%(quantity)d %(product)s license taken back from %(reseller)s.",
            "%(quantity)d %(product)s licenses taken back from %(reseller)s.",
            result["quantity"],
        )
    else:
        text = ngettext(
            "%(quantity)d %(product)s license given to %(reseller)s.",
            "%(quantity)d %(product)s licenses given to %(reseller)s.",
            result["quantity"],
        )
    return text % result


@login_required
@manager_required
@require_http_methods(["GET", "POST"])
def allocate(request):
    visible = Visible(request.user)
    # A reseller has no resellers of its own: nothing to allocate to.
    if not _may_allocate(visible.scope):
        raise PermissionDenied
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
                    messages.info(
                        request, _("This form was already submitted; nothing more was changed.")
                    )
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
    return render(
        request,
        "subscriptions/allocate.html",
        {
            "form": form,
            "pools": _shown_pools(visible),
        },
    )



# --- bulk renewal (rule 13) -------------------------------------------------------------


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


def _bulk_done_message(count, licenses):
    return ngettext(
        "%(count)d subscription renewed — %(licenses)d licenses debited.",
        "%(count)d subscriptions renewed — %(licenses)d licenses debited.",
        count,
    ) % {"count": count, "licenses": licenses}


@login_required
@manager_required
@require_http_methods(["POST"])
def bulk_renew(request):
    """POST a selection: the preview (200). POST the preview's form (`confirm`): renew
    them all in one transaction, then redirect to the renewals list with a message."""
    visible = Visible(request.user)
    selection = _bulk_selection(request, visible)
    years = _bounded_int(request.POST.get("years"), 1, services.MAX_YEARS)
    error = None
    status = 200
    if not selection:
        messages.warning(request, _("Select at least one subscription to renew."))
        return redirect("renewals")
    if len(selection) > services.BULK_MAX:
        error = _("Select at most %(max)d subscriptions at once.") % {"max": services.BULK_MAX}
        selection = selection[: services.BULK_MAX]
    elif request.POST.get("confirm") == "1":
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
                    messages.info(
                        request, _("This form was already submitted; nothing more was changed.")
                    )
                return redirect("renewals")
            except services.OperationRefused as refusal:
                error = refusal.message
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
        error = error or refusal.message
    if preview is not None and error is None:
        refusal = services.short_pools_refusal(preview.pools)
        if refusal:
            error = refusal.message
    return render(
        request,
        "subscriptions/bulk_preview.html",
        {
            "preview": preview,
            "selection": selection,
            "years": years,
            "years_choices": range(1, services.MAX_YEARS + 1),
            "error": error,
            "token": issue_token(request.user),
        },
        status=status,
    )


# --- undo a renewal (rule 14) and not renewing (rule 15) -------------------------------


@login_required
@manager_required
@require_http_methods(["GET", "POST"])
def cancel_renewal(request, pk):
    subscription = _visible_subscription_or_404(request.user, pk)
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
                messages.info(
                    request, _("This form was already submitted; nothing more was changed.")
                )
                return redirect("client_detail", client.pk)
            except services.OperationRefused as refusal:
                error = refusal.message
            else:
                messages.success(
                    request,
                    ngettext(
                        "The renewal of the %(product)s subscription of %(client)s was "
                        "cancelled — %(licenses)d license refunded.",
                        "The renewal of the %(product)s subscription of %(client)s was "
                        "cancelled — %(licenses)d licenses refunded.",
                        refund,
                    )
                    % {"product": subscription.product.name, "client": client.name,
                       "licenses": refund},
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
    from .models import NotRenewingReason

    subscription = _visible_subscription_or_404(request.user, pk)
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
                % {"product": subscription.product.name, "client": client.name},
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
