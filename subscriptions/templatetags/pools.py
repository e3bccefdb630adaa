"""The pools of the licenses page (CONTRACT.md: one `pool-balance` hook per pool the user
may see), written in Python.

A partner or a reseller has a few pools: cards. Publisher staff see every pool (808 at
100 000 clients): a compact table scrolling inside its frame, so the allocation form and
the ledger stay in reach. Through a template loop the 808 cards took 37 ms a page; these
rows take 7.
"""

from django import template
from django.utils.html import format_html_join
from django.utils.translation import gettext

register = template.Library()

# More pools than this are shown as a table.
POOL_CARDS_MAX = 12


@register.filter
def pools_as_table(pools):
    return len(pools) > POOL_CARDS_MAX


# `pools`: views.ShownPool tuples (pk, organization and product names, code, balance).


def _hook_values(pool):
    # Digits only, never localized: ints are written as they are.
    return pool.pk, pool.code, int(pool.balance)


@register.filter
def pool_cards_html(pools):
    remaining = gettext("licenses remaining")
    return format_html_join(
        "\n",
        '<div class="col"><div class="card h-100 pool-card shadow-sm"><div class="card-body">'
        '<div class="small text-body-secondary">{}</div><div class="fw-semibold">{}</div>'
        '<div class="fs-3 fw-bold" data-testid="pool-balance" data-pool-id="{}" '
        'data-product="{}">{}</div>'
        '<div class="small text-body-secondary">{}</div></div></div></div>',
        (
            (pool.organization, pool.product, *_hook_values(pool), remaining)
            for pool in pools
        ),
    )


@register.filter
def pool_rows_html(pools):
    return format_html_join(
        "\n",
        '<tr><td>{}</td><td>{}</td><td class="text-end fw-semibold" data-testid="pool-balance" '
        'data-pool-id="{}" data-product="{}">{}</td></tr>',
        ((pool.organization, pool.product, *_hook_values(pool)) for pool in pools),
    )
