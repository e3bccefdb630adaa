"""The dashboard, and the health check the load balancer and `make serve` users call.

The dashboard reads through the selectors only (view → selectors → models); the status
badges come from the `statuses` template tags."""

from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.utils import formats
from django.utils.translation import pgettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_safe

from subscriptions import selectors
from subscriptions.selectors.plans import auto_renew_due
from subscriptions.selectors.scope import Visible

DASHBOARD_POOLS = 12
# What needs attention first; rule 6's precedence order is for computing, not reading.
STATUS_DISPLAY_ORDER = (
    selectors.Status.EXPIRING,
    selectors.Status.EXPIRED,
    selectors.Status.ACTIVE,
    selectors.Status.RENEWED,
    selectors.Status.NOT_STARTED,
)

# The upcoming-renewals chart, in SVG user units (it scales with its container).
CHART_BAR_WIDTH = 36
CHART_GAP = 14
CHART_HEIGHT = 120
CHART_TOP = 18
CHART_LABELS = 34
# Short enough for a bar, and never two alike: Django's French "M" writes both June and
# July "Jui".
CHART_MONTHS = (
    pgettext_lazy("chart month", "Jan"), pgettext_lazy("chart month", "Feb"),
    pgettext_lazy("chart month", "Mar"), pgettext_lazy("chart month", "Apr"),
    pgettext_lazy("chart month", "May"), pgettext_lazy("chart month", "Jun"),
    pgettext_lazy("chart month", "Jul"), pgettext_lazy("chart month", "Aug"),
    pgettext_lazy("chart month", "Sep"), pgettext_lazy("chart month", "Oct"),
    pgettext_lazy("chart month", "Nov"), pgettext_lazy("chart month", "Dec"),
)


def _chart(months, licenses, balance):
    """Bars as plain numbers for an inline SVG: no script, no inline style (CSP).

    A bar is as tall as the licenses the month's renewals need; a month the pools cannot
    cover is hatched and marked "!" (readable without colour), with the words in the legend.
    """
    peak = max((needed for needed, _short in licenses), default=0) or 1
    bars = []
    for index, (month, count) in enumerate(months):
        needed, short = licenses[index]
        height = round(CHART_HEIGHT * needed / peak) if needed else 0
        x = CHART_GAP + index * (CHART_BAR_WIDTH + CHART_GAP)
        bars.append(
            {
                "month": month,
                "label": CHART_MONTHS[month.month - 1],
                "year": month.year,
                "long_label": formats.date_format(month, "YEAR_MONTH_FORMAT"),
                "count": count,
                "licenses": needed,
                "short": short,
                "x": x,
                "center": x + CHART_BAR_WIDTH // 2,
                "y": CHART_TOP + CHART_HEIGHT - height,
                "height": height,
                "show_year": index == 0 or month.month == 1,
            }
        )
    return {
        "bars": bars,
        "width": CHART_GAP + len(months) * (CHART_BAR_WIDTH + CHART_GAP),
        "height": CHART_TOP + CHART_HEIGHT + CHART_LABELS,
        "bar_width": CHART_BAR_WIDTH,
        "baseline": CHART_TOP + CHART_HEIGHT,
        "label_y": CHART_TOP + CHART_HEIGHT + 16,
        "year_y": CHART_TOP + CHART_HEIGHT + 30,
        "total": sum(count for _month, count in months),
        "licenses_total": sum(needed for needed, _short in licenses),
        "balance": balance,
        "short_from": next((bar["long_label"] for bar in bars if bar["short"]), None),
    }


@require_GET
@login_required
def dashboard(request):
    visible = Visible(request.user)
    user = request.user
    # The counts and the chart, and the forecast's page of pools (docs/interface.md,
    # "Pages of pools"): the pools' balances come with it.
    figures, forecast = selectors.dashboard_forecast(
        user, **selectors.asked_pool_page(request.GET)
    )
    counts = figures.counts
    labels = selectors.status_labels()
    statuses = [
        {
            "status": status,
            "label": labels[status],
            "count": counts[status],
        }
        for status in STATUS_DISPLAY_ORDER
    ]
    pools = list(
        visible.pools().order_by("organization__name", "product__name", "pk")[
            : DASHBOARD_POOLS + 1
        ]
    )
    return render(
        request,
        "portal/dashboard.html",
        {
            "companies_to_renew": figures.companies_to_renew,
            "statuses": statuses,
            "subscriptions_total": sum(counts.values()),
            "pools": pools[:DASHBOARD_POOLS],
            "more_pools": len(pools) > DASHBOARD_POOLS,
            "chart": _chart(figures.months, figures.licenses_by_month, forecast.balance),
            "shortfall": forecast.rows,
            "pool_page": forecast,
            "auto_renew_due": auto_renew_due(user),
        },
    )


@require_safe
def favicon(request):
    """Browsers and crawlers ask for /favicon.ico whatever the page says: send them to the
    icon among the static files (hashed under `make serve`, so the redirect is temporary)."""
    response = HttpResponseRedirect(static("portal/img/favicon.png"))
    response["Cache-Control"] = "public, max-age=86400"
    return response


@never_cache
@require_safe
def healthz(request):
    """200 when the database answers, 503 otherwise; no login, no session."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")
