"""The dashboard, and the health check the load balancer and `make serve` users call."""

from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import formats
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_safe

from subscriptions import selectors
from subscriptions.tables import status_badge
from subscriptions.views import Visible

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


def _chart(months):
    """Bars as plain numbers for an inline SVG: no script, no inline style (CSP)."""
    peak = max((count for _month, count in months), default=0) or 1
    bars = []
    for index, (month, count) in enumerate(months):
        height = round(CHART_HEIGHT * count / peak) if count else 0
        x = CHART_GAP + index * (CHART_BAR_WIDTH + CHART_GAP)
        bars.append(
            {
                "month": month,
                "label": formats.date_format(month, "M"),
                "year": month.year,
                "long_label": formats.date_format(month, "YEAR_MONTH_FORMAT"),
                "count": count,
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
    }


@require_GET
@login_required
def dashboard(request):
    visible = Visible(request.user)
    user = request.user
    counts = selectors.counts_by_status(user)
    labels = selectors.status_labels()
    statuses = [
        {
            "status": status,
            "label": labels[status],
            "count": counts[status],
            "badge": status_badge(status),
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
            "companies_to_renew": selectors.companies_to_renew_count(user),
            "statuses": statuses,
            "subscriptions_total": sum(counts.values()),
            "pools": pools[:DASHBOARD_POOLS],
            "more_pools": len(pools) > DASHBOARD_POOLS,
            "chart": _chart(selectors.upcoming_renewals_by_month(user)),
        },
    )


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
