"""The pools of the licenses page (docs/interface.md: one `pool-balance` hook per pool the user
may see), written in Python.

A partner or a reseller has a few pools: cards. Publisher staff see every pool (808 at
100 000 clients): a compact table scrolling inside its frame, so the allocation form and
the ledger stay in reach. Hundreds of rows through a template loop were the page's
largest cost: these rows are f-strings with the standard library's escape (Django's
`escape` is that one, behind a lazy-string check per call).
"""

from html import escape

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

register = template.Library()

# More pools than this are shown as a table.
POOL_CARDS_MAX = 12


@register.filter
def pools_as_table(pools):
    return len(pools) > POOL_CARDS_MAX


# `pools`: views.licenses.ShownPool tuples (pk, organization and product names, code, balance).


def _hook(pool):
    # Digits only, never localized: ints are written as they are.
    return (
        f'data-testid="pool-balance" data-pool-id="{int(pool.pk)}" '
        f'data-product="{escape(pool.code)}">{int(pool.balance)}'
    )


@register.filter
def pool_cards_html(pools):
    remaining = escape(gettext("licenses remaining"))
    return mark_safe(  # noqa: S308 - every value is escaped or an int
        "\n".join(
            '<div class="col"><div class="card h-100 pool-card shadow-sm"><div class="card-body">'
            f'<div class="small text-body-secondary">{escape(pool.organization)}</div>'
            f'<div class="fw-semibold">{escape(pool.product)}</div>'
            f'<div class="fs-3 fw-bold" {_hook(pool)}</div>'
            f'<div class="small text-body-secondary">{remaining}</div></div></div></div>'
            for pool in pools
        )
    )


@register.filter
def pool_rows_html(pools):
    return mark_safe(  # noqa: S308 - every value is escaped or an int
        "\n".join(
            f"<tr><td>{escape(pool.organization)}</td><td>{escape(pool.product)}</td>"
            f'<td class="text-end fw-semibold" {_hook(pool)}</td></tr>'
            for pool in pools
        )
    )
