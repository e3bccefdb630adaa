"""Reads with rules: every query the screens, the API and the commands list, in one
package, one module per kind of read:

- `lists`: the status of a subscription (rule 6) and the querysets of the lists;
- `scope`: `Visible`, every queryset one user may read;
- `forecast`: the shortfall forecast per pool (rule 17), for the screens and the API.

Reads never write, and know no screen: nothing here imports services, views, forms,
tables, filtersets or exports. The names below are importable from the package, as they
were from the module it replaced.
"""

from .forecast import (
    PoolForecast,
    dashboard_forecast,
    forecast_balances,
    forecast_values,
    pool_forecast,
    shortfall_message,
    shortfall_rows,
)
from .lists import (
    CURRENT_END_KEYS_MAX,
    FORECAST_HORIZON_MONTHS,
    LONGEST_WINDOW_MONTHS,
    Status,
    annotate_current_term,
    annotate_row,
    companies_to_renew_count,
    counts_by_status,
    current_end_keys,
    dashboard_figures,
    due_within_q,
    expiry_threshold_expression,
    paying_pool_subquery,
    plain_subscription_rows,
    queued_renewal_q,
    renewal_rows,
    renewals_due,
    status_choices,
    status_expression,
    status_labels,
    status_q,
    subscription_rows,
    subscriptions_to_renew,
    to_renew_q,
    visible_subscription,
)
from .scope import Visible

__all__ = [
    "CURRENT_END_KEYS_MAX",
    "FORECAST_HORIZON_MONTHS",
    "LONGEST_WINDOW_MONTHS",
    "PoolForecast",
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
    "forecast_balances",
    "forecast_values",
    "paying_pool_subquery",
    "plain_subscription_rows",
    "pool_forecast",
    "queued_renewal_q",
    "renewal_rows",
    "renewals_due",
    "shortfall_message",
    "shortfall_rows",
    "status_choices",
    "status_expression",
    "status_labels",
    "status_q",
    "subscription_rows",
    "subscriptions_to_renew",
    "to_renew_q",
    "visible_subscription",
]
