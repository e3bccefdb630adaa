"""Aligning a client's end dates (rule 20): the simulator, refreshed for a date and a
selection, and its OK, which writes exactly what the preview showed."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from accounts.access import manager_required
from portal.numbers import figures

from .. import services
from ..dates import local_today
from ..forms import TOKEN_INVALID
from ..selectors import coterm as simulator
from ..selectors.scope import Visible
from ..services.idempotency import issue_token, token_is_valid
from .common import already_submitted

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")


def parse_date(value):
    """A date typed or chosen (ISO, or dd/mm/yyyy as French pages show it), or None."""
    value = (value or "").strip()
    if len(value) > 10:
        return None
    for layout in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(value, layout).date()
        except ValueError:
            continue
    return None


def _done_message(count, licenses, end):
    return ngettext(
        "%(count)s subscription aligned on %(date)s. Licenses debited: %(licenses)s.",
        "%(count)s subscriptions aligned on %(date)s. Licenses debited: %(licenses)s.",
        count,
    ) % figures({
        "count": count,
        "licenses": licenses,
        "date": formats.date_format(end, "SHORT_DATE_FORMAT"),
    })


def _done(request, client, result):
    """What a repeated submission answers: the first one's confirmation, nothing more."""
    try:
        count, licenses = int(result["count"]), int(result["licenses"])
        end = datetime.date.fromisoformat(result["end"])
        same_client = int(result["client_id"]) == client.pk
    except (KeyError, TypeError, ValueError):
        same_client = False
    if same_client:
        messages.success(request, _done_message(count, licenses, end))
    else:
        already_submitted(request)
    return redirect("client_detail", client.pk)


def _requested_end(data, ends, today, *, required=False):
    """(the date asked for, its error): another date typed wins over the list's; none
    asked: the default date (rule 20's latest current end, or the first allowed), unless
    `required` (OK always names the date its preview showed)."""
    raw = (data.get("other_end") or "").strip() or (data.get("end") or "").strip()
    if not raw and required:
        return None, _("Choose the common end date.")
    if not raw:
        return simulator.default_end(ends, today=today), None
    end = parse_date(raw)
    if end is None:
        return None, _("Enter a valid date.")
    return end, simulator.end_date_error(end, ends, today=today)


def _chosen(data, subscriptions):
    """The ticked subscriptions among the client's (None: not said, every one); ids that
    are not the client's are not kept."""
    if data.get("chosen") != "1" and "subscriptions" not in data:
        return None
    own = {subscription.pk for subscription in subscriptions}
    chosen = set()
    for value in data.getlist("subscriptions"):
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if number in own:
            chosen.add(number)
    return chosen


@login_required
@manager_required
@require_http_methods(["GET", "POST"])
def coterm(request, pk):
    visible = Visible(request.user)
    client = get_object_or_404(visible.clients(), pk=pk)
    today = local_today()
    subscriptions = simulator.client_subscriptions(client, today=today)
    ends = simulator.current_ends(subscriptions)
    data = request.POST if request.method == "POST" else request.GET
    end, end_error = _requested_end(data, ends, today, required=request.method == "POST")
    chosen = _chosen(data, subscriptions)
    error, status = None, 200
    if request.method == "POST" and end_error is None:
        token = request.POST.get("token")
        if not token_is_valid(request.user, token):
            error, status = str(TOKEN_INVALID), 400
        else:
            try:
                result = services.coterm_subscriptions(
                    actor=request.user, client_id=client.pk, end=end,
                    subscription_ids=request.POST.getlist("subscriptions"), token=token,
                )
            except services.AlreadyDone as done:
                return _done(request, client, done.result)
            except services.OperationRefused as refusal:
                if refusal.field == "end":
                    end_error = refusal.message
                else:
                    error = refusal.message
                # Figures as they are now: another operation may have moved them.
                subscriptions = simulator.client_subscriptions(client, today=today)
            else:
                messages.success(request, _done_message(
                    len(result.plan.extended), result.licenses, end
                ))
                return redirect("client_detail", client.pk)
    plan = None
    if end is not None and end_error is None and subscriptions:
        plan = simulator.coterm_preview(
            client, end=end, chosen=chosen, today=today, subscriptions=subscriptions
        )
    allowed = simulator.allowed_end_dates(ends, today=today)
    return render(
        request,
        "subscriptions/coterm.html",
        {
            "client": client,
            "plan": plan,
            "end": end,
            "end_error": end_error,
            "error": error,
            "date_choices": _date_choices(allowed, subscriptions),
            "end_in_choices": end in allowed,
            "token": issue_token(request.user),
            "can_confirm": bool(plan and plan.extended and not plan.short_pools and not error),
        },
        status=status,
    )


def _date_choices(allowed, subscriptions):
    """The allowed dates with what each one is: a client's end date (which products end
    then) or the end of a month."""
    products = {}
    for subscription in subscriptions:
        products.setdefault(subscription.current_end, []).append(subscription.product.name)
    choices = []
    for day in allowed:
        shown = formats.date_format(day, "SHORT_DATE_FORMAT")
        if day in products:
            label = _("%(date)s — end of %(products)s") % {
                "date": shown, "products": ", ".join(products[day]),
            }
        else:
            label = _("%(date)s — end of the month") % {"date": shown}
        choices.append((day, label))
    return choices
