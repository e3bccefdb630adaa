"""The shortfall forecast's rows (rule 17), written in Python.

Publisher staff see one row per pool, 800 at 100 000 clients: the same markup through the
template language took 150 ms a page, as format strings it takes a few
(docs/benchmarks.md), with the standard library's escape (Django's is the same, behind a
lazy-string check per call). tests/portal/test_shortfall.py reads the rows back.
"""

from html import escape

from django import template
from django.utils import formats
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def shortfall_rows_html(pools):
    rows = []
    for pool in pools:
        row_class = (
            ' class="table-danger"' if pool.missing
            else ' class="table-warning"' if pool.missing_12 else ""
        )
        message = (
            f'<div class="small text-danger" data-testid="shortfall-message" '
            f'data-pool-id="{pool.pk}">{escape(str(pool.message))}</div>'
            if pool.message else ""
        )
        runs_dry = pool.runs_dry
        rows.append(
            f'<tr{row_class}>'
            f'<td><a href="{escape(pool.renewals_url)}">{escape(pool.organization.name)} · '
            f'{escape(pool.product.name)}</a>{message}</td>'
            f'<td class="text-end">{int(pool.needed)}</td>'
            f'<td class="text-end">{int(pool.balance)}</td>'
            f'<td class="text-end fw-semibold" data-testid="shortfall" data-pool-id="{pool.pk}" '
            f'data-product="{escape(pool.product.code)}" data-needed="{int(pool.needed)}" '
            f'data-balance="{int(pool.balance)}" data-needed-12="{int(pool.needed_12)}" '
            f'data-missing-12="{int(pool.missing_12)}" '
            f'data-runs-dry="{runs_dry.isoformat() if runs_dry else ""}">{int(pool.missing)}</td>'
            f'<td class="text-end">{int(pool.missing_12)}</td>'
            f'<td>{escape(formats.date_format(runs_dry, "SHORT_DATE_FORMAT")) if runs_dry else "—"}'
            "</td></tr>"
        )
    return mark_safe("\n".join(rows))  # noqa: S308 -- every value above is escaped or an int
