"""The pools of the licenses and allocation pages (docs/interface.md: one `pool-balance`
hook per pool the user may see), written in Python, and the links of the pages of pools.

A partner or a reseller has a few pools: cards. More than a dozen form a compact table
scrolling inside its frame, so the allocation form and the ledger stay in reach; more
than a page holds (publisher staff) come a page at a time (selectors.pool_page,
includes_pool_page.html). The rows are f-strings with the standard library's escape
(Django's `escape` is that one, behind a lazy-string check per call).
"""

from html import escape
from urllib.parse import urlencode

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from portal.numbers import figure

from ..selectors.forecast_pages import PAGE_PARAMETER, SEARCH_PARAMETER, SHORT_PARAMETER

register = template.Library()


# More pools than this are shown as a table.
POOL_CARDS_MAX = 12


@register.filter
def pools_as_table(pools):
    return len(pools) > POOL_CARDS_MAX


# `pools`: selectors.PoolForecast rows (pk, organization, product, balance, forecast).


def _hook(pool):
    # The attributes hold digits only; the text is the figure written the page's way.
    return (
        f'data-testid="pool-balance" data-pool-id="{int(pool.pk)}" '
        f'data-product="{escape(pool.product.code)}">{escape(figure(int(pool.balance)))}'
    )


@register.filter
def pool_cards_html(pools):
    remaining = escape(gettext("licenses remaining"))
    return mark_safe(  # noqa: S308 - every value is escaped or an int
        "\n".join(
            '<div class="col"><div class="card h-100 pool-card shadow-sm"><div class="card-body">'
            f'<div class="small text-body-secondary">{escape(pool.organization.name)}</div>'
            f'<div class="fw-semibold">{escape(pool.product.name)}</div>'
            f'<div class="fs-3 fw-bold" {_hook(pool)}</div>'
            f'<div class="small text-body-secondary">{remaining}</div></div></div></div>'
            for pool in pools
        )
    )


@register.filter
def pool_rows_html(pools):
    return mark_safe(  # noqa: S308 - every value is escaped or an int
        "\n".join(
            f"<tr><td>{escape(pool.organization.name)}</td><td>{escape(pool.product.name)}</td>"
            f'<td class="text-end fw-semibold" {_hook(pool)}</td></tr>'
            for pool in pools
        )
    )


def _other_parameters(request):
    """The query string's other parameters (the ledger's filters and page), kept as they
    are when the pools change page or search."""
    return [
        (name, value)
        for name, values in request.GET.lists()
        if name not in (PAGE_PARAMETER, SEARCH_PARAMETER, SHORT_PARAMETER)
        for value in values
    ]


@register.simple_tag(takes_context=True)
def pool_page_url(context, number, query, short=False):
    """The address of page `number` of the pools found by `query` (the short ones only when
    `short`), everything else in the query string kept."""
    request = context["request"]
    parameters = _other_parameters(request)
    if query:
        parameters.append((SEARCH_PARAMETER, query))
    if short:
        parameters.append((SHORT_PARAMETER, 1))
    if number > 1:
        parameters.append((PAGE_PARAMETER, number))
    return f"{request.path}?{urlencode(parameters)}" if parameters else request.path


@register.simple_tag(takes_context=True)
def pool_search_kept(context):
    """Hidden fields that send the query string's other parameters with the search."""
    return mark_safe(  # noqa: S308 - every name and value is escaped
        "".join(
            f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
            for name, value in _other_parameters(context["request"])
        )
    )
