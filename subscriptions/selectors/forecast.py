"""The shortfall forecast (rule 17), one selector for the screens and the API.

Per pool the user may see: the licenses and companies of the renewals due now and over
the horizon, what the balance lacks for them, and the day it runs dry. The API reads
every pool (`pool_forecast`); the screens read a page of them (forecast_pages.py). Both
build their rows as plain values first (`forecast_values`' format), cheap to cache, and
turn them into objects only when shown (`forecast_row`).
"""

from collections import namedtuple
from types import SimpleNamespace

from django.utils.translation import ngettext

from accounts.models import Scope
from portal.numbers import figures

from ..dates import window_months
from ..models import LicensePool
from ..status import FORECAST_HORIZON_MONTHS
from .figures import PoolNeeds, scope_figures

# What a forecast row holds, in the order `forecast_values` writes it (cached pages name
# their format: forecast_pages.FIRST_PAGE_CACHE).
FORECAST_POOL = ("pk", "organization_id", "product_id", "balance")
FORECAST_NEEDS = ("needed", "companies", "missing", "needed_12", "companies_12",
                  "missing_12", "runs_dry")
FORECAST_ORGANIZATION = ("pk", "name", "kind", "parent_id")
FORECAST_PRODUCT = ("code", "name")
FORECAST_ROW = FORECAST_POOL + FORECAST_NEEDS
_ForecastOrganization = namedtuple("_ForecastOrganization", FORECAST_ORGANIZATION)
_ForecastProduct = namedtuple("_ForecastProduct", FORECAST_PRODUCT)


class PoolForecast(SimpleNamespace):
    """One pool with its forecast: `pk` (`id`), `organization_id`, `product_id`,
    `balance`, `organization` (pk, name, kind, parent_id), `product` (code, name), and
    rule 17's `needed`, `companies`, `missing`, `needed_12`, `companies_12`,
    `missing_12`, `runs_dry`."""

    @property
    def id(self):
        return self.pk


def forecast_values(user, needs):
    """The forecast's rows as plain values, cheap to cache and to read back: each visible
    pool, its organization and product, its partner's window (rule 16: "the next N
    months" are the window the pool's statuses follow), and what it needs (`needs`:
    figures.Figures.pools)."""
    pools = (
        LicensePool.objects.visible_to(user)
        .order_by("organization__name", "product__name", "pk")
        .values_list(
            *FORECAST_POOL,
            *(f"organization__{name}" for name in FORECAST_ORGANIZATION),
            *(f"product__{name}" for name in FORECAST_PRODUCT),
            "organization__renewal_window_months",
            "organization__parent__renewal_window_months",
        )
    )
    rows = []
    size = len(FORECAST_POOL)
    nothing_due = PoolNeeds()
    for values in pools:
        pool = values[:size]
        organization = values[size:size + len(FORECAST_ORGANIZATION)]
        product = values[size + len(FORECAST_ORGANIZATION):-2]
        own_window, parent_window = values[-2:]
        _pk, organization_id, product_id, balance = pool
        due = needs.get((organization_id, product_id)) or nothing_due
        missing, missing_12 = due.missing(balance)
        rows.append((
            pool,
            # In FORECAST_NEEDS's order: a tuple per pool, lighter than a dictionary.
            (due.needed, due.companies, missing, due.needed_12, due.companies_12, missing_12,
             due.runs_dry),
            organization,
            product,
            parent_window if organization[3] else own_window,
        ))
    return rows


def forecast_row(values, default_months):
    """One pool of the forecast (PoolForecast) and the months its sentence speaks of."""
    pool, needed, organization, product, months = values
    row = PoolForecast(
        **dict(zip(FORECAST_ROW, pool + needed, strict=True)),
        organization=_ForecastOrganization._make(organization),
        product=_ForecastProduct._make(product),
    )
    return row, months or default_months


def pool_forecast(user, *, today=None, horizon_months=FORECAST_HORIZON_MONTHS):
    """Rule 17, per pool the user may see (PoolForecast, ordered by organization, product):

    - `needed`: users of every subscription the pool pays that is to renew now (one year
      each, or its renewal plan's users × years: rule 22), `companies`: their distinct
      clients, `missing`: max(0, needed − balance);
    - the same over the next `horizon_months` (`needed_12`, `companies_12`, `missing_12`);
    - `runs_dry`: the end date of the first of those renewals the balance cannot pay when
      they are done in end-date order (None when it pays them all).
    """
    if Scope.for_user(user).sees_nothing:
        return []
    needs = scope_figures(user, today=today, horizon_months=horizon_months).pools
    default_months = window_months()
    return [forecast_row(values, default_months)[0] for values in forecast_values(user, needs)]


def shortfall_message(pool, months):
    """"40 licenses of TBox are missing to renew the 12 companies of the next 3 months"."""
    companies = ngettext(
        "the %(count)s company of the next %(months)s months",
        "the %(count)s companies of the next %(months)s months",
        pool.companies,
    ) % figures({"count": pool.companies, "months": months})
    return ngettext(
        "%(missing)s license of %(product)s is missing to renew %(companies)s.",
        "%(missing)s licenses of %(product)s are missing to renew %(companies)s.",
        pool.missing,
    ) % figures({"missing": pool.missing, "product": pool.product.name, "companies": companies})
