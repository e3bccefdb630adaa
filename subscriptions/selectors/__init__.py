"""Reads with rules: every query the screens, the API and the commands list, in one
package, one module per kind of read:

- `scope`: `Visible`, every queryset one user may read;
- `lists`: the lists' rows with their status and current term, the renewals to do, one
  subscription classified, the keys of a page sorted by end date, the counts;
- `forecast`: the shortfall forecast per pool (rule 17), for the screens and the API;
- `forecast_pages`: the same one page of pools at a time, short ones first for staff;
- `figures`: the dashboard's figures per scope, from one statement (`figures_sql`), kept
  between writes on PostgreSQL (`figures_kept`) and cached until the data changes
  (`figures_cache`).

The status rule itself (rule 6) is subscriptions/status.py, beneath the models. Reads know
no screen and write no ledger: nothing here imports services, views, forms, tables,
filtersets or exports. The names below stay importable from the package, as they were
from the module it replaced (the status rule's among them).
"""

from ..models import annotate_current_term, paying_pool_subquery
from ..status import (
    FORECAST_HORIZON_MONTHS,
    LONGEST_WINDOW_MONTHS,
    Status,
    annotate_row,
    due_within_q,
    expiry_threshold_expression,
    queued_renewal_q,
    status_choices,
    status_expression,
    status_labels,
    status_q,
    to_renew_q,
)
from .forecast import (
    PoolForecast,
    forecast_values,
    pool_forecast,
    shortfall_message,
)
from .forecast_pages import (
    POOLS_PER_PAGE,
    PoolPage,
    asked_pool_page,
    dashboard_forecast,
    pool_page,
)
from .lists import (
    CURRENT_END_KEYS_MAX,
    companies_to_renew_count,
    counts_by_status,
    current_end_keys,
    dashboard_figures,
    plain_subscription_rows,
    renewal_rows,
    renewals_due,
    searched_name_keys,
    subscription_rows,
    subscriptions_to_renew,
    visible_subscription,
)
from .scope import Visible

__all__ = [
    "CURRENT_END_KEYS_MAX",
    "FORECAST_HORIZON_MONTHS",
    "LONGEST_WINDOW_MONTHS",
    "POOLS_PER_PAGE",
    "asked_pool_page",
    "PoolForecast",
    "PoolPage",
    "Status",
    "Visible",
    "annotate_current_term",
    "annotate_row",
    "companies_to_renew_count",
    "counts_by_status",
    "current_end_keys",
    "dashboard_figures",
    "dashboard_forecast",
    "due_within_q",
    "expiry_threshold_expression",
    "forecast_values",
    "paying_pool_subquery",
    "plain_subscription_rows",
    "pool_page",
    "pool_forecast",
    "queued_renewal_q",
    "renewal_rows",
    "renewals_due",
    "searched_name_keys",
    "shortfall_message",
    "status_choices",
    "status_expression",
    "status_labels",
    "status_q",
    "subscription_rows",
    "subscriptions_to_renew",
    "to_renew_q",
    "visible_subscription",
]
