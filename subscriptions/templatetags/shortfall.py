"""The shortfall forecast's rows (rule 17), written in Python.

A page holds up to selectors.POOLS_PER_PAGE rows, the same few on every page: format
strings with the standard library's escape (Django's is the same, behind a lazy-string
check per call) keep them cheap. tests/portal/test_shortfall.py reads the rows back.

`pools`: selectors.pool_page's rows (PoolForecast with their `message`); `pool_balance`:
the remaining licenses carry the licenses page's `pool-balance` hook too, where this
table is the page's list of pools (docs/interface.md).
"""

from html import escape
from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils import formats
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from accounts.models import OrganizationKind
from portal.numbers import figure

register = template.Library()


@register.filter
def shortfall_rows_html(pools, pool_balance=False):
    renewals = reverse("renewals")
    # Each cell names its column for the phone's cards (`table-cards` in portal.css).
    label = {
        key: escape(text)
        for key, text in (
            ("needed", _("Needed now")),
            ("balance", _("Remaining")),
            ("missing", _("Missing")),
            ("missing_12", _("Missing within 12 months")),
            ("runs_dry", _("Runs dry on")),
        )
    }
    # One query string per product, not one urlencode per pool.
    product_urls = {}
    rows = []
    for pool in pools:
        code = pool.product.code
        if code not in product_urls:
            product_urls[code] = f"{renewals}?{urlencode({'product': code})}"
        renewals_url = product_urls[code]
        if pool.organization.kind == OrganizationKind.RESELLER:
            renewals_url += f"&reseller={int(pool.organization_id)}"
        row_class = (
            ' class="table-danger"' if pool.missing
            else ' class="table-warning"' if pool.missing_12 else ""
        )
        message = (
            f'<div class="small text-danger-emphasis" data-testid="shortfall-message" '
            f'data-pool-id="{pool.pk}">{escape(str(pool.message))}</div>'
            if pool.message else ""
        )
        runs_dry = pool.runs_dry
        runs_dry_text = (
            escape(formats.date_format(runs_dry, "SHORT_DATE_FORMAT")) if runs_dry else "—"
        )
        balance_hook = (
            f' data-testid="pool-balance" data-pool-id="{pool.pk}"'
            f' data-product="{escape(pool.product.code)}"'
            if pool_balance else ""
        )
        rows.append(
            f'<tr{row_class}>'
            f'<td class="cell-title"><a href="{escape(renewals_url)}">'
            f'{escape(pool.organization.name)} · '
            f'{escape(pool.product.name)}</a>{message}</td>'
            f'<td class="text-end" data-label="{label["needed"]}">{figure(int(pool.needed))}</td>'
            f'<td class="text-end" data-label="{label["balance"]}"{balance_hook}>'
            f'{figure(int(pool.balance))}</td>'
            f'<td class="text-end fw-semibold" data-label="{label["missing"]}" '
            f'data-testid="shortfall" data-pool-id="{pool.pk}" '
            f'data-product="{escape(pool.product.code)}" data-needed="{int(pool.needed)}" '
            f'data-balance="{int(pool.balance)}" data-needed-12="{int(pool.needed_12)}" '
            f'data-missing-12="{int(pool.missing_12)}" '
            f'data-runs-dry="{runs_dry.isoformat() if runs_dry else ""}">'
            f'{figure(int(pool.missing))}</td>'
            f'<td class="text-end" data-label="{label["missing_12"]}">'
            f'{figure(int(pool.missing_12))}</td>'
            f'<td data-label="{label["runs_dry"]}">{runs_dry_text}</td></tr>'
        )
    return mark_safe("\n".join(rows))  # noqa: S308 -- every value above is escaped, an int or a figure
