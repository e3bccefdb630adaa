"""A client's record (its subscriptions, terms and license movements) and the creation
of a client with its first subscription."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from accounts.access import manager_required
from accounts.models import OrganizationKind
from portal.numbers import figures

from .. import selectors, services
from ..forms import ClientForm
from ..models import AutoRenewClaim, Product, Term
from ..models_addon import TermChange
from ..notes import AUTO_RENEWAL
from ..selectors.plans import next_renewal
from ..selectors.scope import Visible
from ..services.idempotency import issue_token
from ..tables import STATUS_ROW_CLASSES, status_badge
from .common import already_submitted, back_to_list


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
    # Rules 19 and 21: each term's add-on lines, and each subscription's last operation,
    # from the terms already read.
    changes = list(
        TermChange.objects.filter(subscription__client=client)
        .select_related("created_by", "cancelled_by")
        .order_by("created_at", "pk")
    )
    changes_of = {}
    for change in changes:
        changes_of.setdefault(change.term_id, []).append(change)
    for term in terms:
        # A co-term extension is a span of days (rule 20), not whole years.
        term.days = (term.end_date - term.start_date).days + 1
        term.change_lines = changes_of.get(term.pk, [])
    # Rule 23: which renewals the daily run made, told apart on the record.
    automatic = set(
        AutoRenewClaim.objects.filter(subscription__client=client, term__isnull=False)
        .values_list("term_id", flat=True)
    )
    for term in terms:
        term.automatic = term.pk in automatic
    now = timezone.now()
    # A co-terming's debit pays for several subscriptions: it names the client through
    # its group, not through one subscription.
    movements = visible.movements().filter(
        Q(subscription__client=client) | Q(coterm_debit__coterming__client=client)
    )[:200]
    movements = list(movements)
    for movement in movements:
        movement.automatic = movement.note == AUTO_RENEWAL
    for subscription in subscriptions:
        subscription.status_badge = status_badge(subscription.status)
        subscription.renewable = subscription.status in selectors.Status.RENEWABLE
        subscription.addable = subscription.status in services.addon.ADDABLE
        subscription.row_class = STATUS_ROW_CLASSES.get(subscription.status, "")
        operation = services.last_operation(
            [term for term in terms if term.subscription_id == subscription.pk],
            [change for change in changes if change.subscription_id == subscription.pk],
        )
        subscription.undoable = visible.scope.can_manage and (
            services.undo_refusal(operation, now=now) is None
        )
        subscription.undo_kind = operation.kind if operation else None
        subscription.markable = subscription.status in selectors.Status.TO_RENEW
        subscription.next = next_renewal(subscription)
    back_url, back_label, navigation_tab = back_to_list(request)
    return render(
        request,
        "subscriptions/client_detail.html",
        {
            "back_url": back_url,
            "back_label": back_label,
            # The tab of the list the record was opened from (base.html), not always the
            # client list's.
            "navigation_tab": navigation_tab,
            "client": client,
            "subscriptions": subscriptions,
            "terms": terms,
            "movements": movements,
            "can_manage": visible.scope.can_manage,
        },
    )


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
        "Client %(client)s created — %(licenses)s license debited from %(organization)s.",
        "Client %(client)s created — %(licenses)s licenses debited from %(organization)s.",
        licenses,
    ) % figures({
        "client": client.name,
        "licenses": licenses,
        "organization": client.paying_organization.name,
    })


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
                    already_submitted(request)
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
        # The first product chosen, so that the paying pool's figures show from the start.
        form = ClientForm(
            initial={
                "token": issue_token(request.user),
                "years": 1,
                "users": 1,
                "product": Product.objects.order_by("name").values_list("code", flat=True).first(),
            },
            user=request.user,
            **form_kwargs,
        )
    pools = visible.pools().order_by("organization__name", "product__name", "pk")
    if visible.scope.everything:
        pools = pools.none()
    payer, balance, cost = _new_client_figures(form, fixed_partner, fixed_reseller)
    return render(
        request,
        "subscriptions/client_new.html",
        {
            "form": form,
            "pools": pools,
            "fixed_partner": fixed_partner,
            "fixed_reseller": fixed_reseller,
            "payer": payer,
            "balance": balance,
            "balance_after": None if balance is None else balance - cost,
            "balance_url": reverse("pool_balance"),
        },
    )


def _chosen(form, name):
    """The value of a choice field as the form shows it (typed or initial), or None."""
    if name not in form.fields:
        return None
    field = form[name]
    value = field.value()
    if value in (None, ""):
        return None
    try:
        return field.field.to_python(value)
    except Exception:  # noqa: BLE001 - an invalid choice shows no figure, the field says why
        return None


def _new_client_figures(form, fixed_partner, fixed_reseller):
    """(paying organization, its pool's balance, the cost) as the form stands: the chosen
    or own reseller, otherwise the chosen or own partner (docs/rules.md rule 2); the cost
    users × years of what was typed. No payer or no product: no balance (None)."""
    payer = _chosen(form, "reseller") or fixed_reseller or _chosen(form, "partner") or fixed_partner
    product = _chosen(form, "product")
    if payer is None or product is None:
        return payer, None, 0
    _pool_id, balance = services.pool_balance(payer, product)
    users = form["users"].value()
    years = form["years"].value()
    try:
        cost = max(int(users), 0) * max(int(years), 0)
    except (TypeError, ValueError):
        cost = 0
    return payer, balance, cost


@require_GET
@login_required
@manager_required
def pool_balance(request):
    """The balance of an organization's pool for a product, for the new-client form's
    script (`?organization=ID&product=CODE`): out of scope or unknown is a 404."""
    visible = Visible(request.user)
    try:
        organization = visible.organizations().get(pk=int(request.GET.get("organization", "")))
        product = Product.objects.get(code=request.GET.get("product", ""))
    except (ValueError, Product.DoesNotExist, visible.organizations().model.DoesNotExist):
        raise Http404 from None
    _pool_id, balance = services.pool_balance(organization, product)
    return JsonResponse({"balance": balance})
