"""The only writers of license pools (docs/rules.md rules 1–5, 8–10, 13–15), one module per
operation:

- grant.py: publisher → partner credits;   allocation.py: partner ↔ reseller transfers;
- clients.py: a new client, a further product;   client_import.py: clients from a file;
- renewal.py: one renewal;   bulk_renewal.py: a selection, all or none;
- addon.py: users added mid-term;
- undo.py: undoing the last renewal, add-on or co-terming (undo_coterm.py);
  not_renewing.py: the "not renewing" mark;
- renewal_plan.py: the plan and auto-renew switch;   auto_renewal.py: run_auto_renewals
  (its e-mails in auto_renew_notices.py);
- coterm.py: a client's subscriptions aligned on one end date (rule 20).

What they share, each in one place: `renewal_writer.write_renewals` writes every renewal;
`ledger` is the one way a pool's balance moves; `locks` takes every row lock, in pk order;
`idempotency` makes a form's token or an API key do its write once; `errors` holds the
refusals and the limits.

Each operation runs in one transaction that claims its token, locks what it changes,
re-reads it under the lock, checks, debits and writes the ledger line.
"""

from . import addon
from .addon import AddonPlan, AddonResult, add_users, plan_addon
from .allocation import GIVE, TAKE, allocate_licenses
from .bulk_renewal import (
    BULK_MAX,
    BulkRenewalResult,
    bulk_renewal_preview,
    bulk_result_summary,
    plan_bulk_renewal,
    renew_subscriptions,
    short_pools_refusal,
)
from .client_import import (
    MAX_IMPORT_YEARS,
    ImportPlan,
    ImportRefused,
    ImportResult,
    ImportRow,
    import_subscriptions,
    plan_import,
    shortfall_message,
)
from .clients import add_subscription, create_client
from .coterm import CotermResult, coterm_subscriptions, simulate_coterm
from .errors import MAX_QUANTITY, MAX_USERS, MAX_YEARS, AlreadyDone, OperationRefused
from .grant import grant_licenses
from .ledger import PoolDebit, pool_balance, record_bulk_debit
from .not_renewing import NOT_RENEWING_CLEARED, clear_not_renewing, mark_not_renewing
from .renewal import RenewalResult, new_term_start, refusal_for_status, renew_subscription
from .renewal_plan import check_plan, plan_quantity, set_renewal_plan
from .renewal_writer import PlannedRenewal, write_renewals
from .undo import (
    UNDO_HOURS,
    UndoResult,
    cancel_renewal,
    last_operation,
    read_last_operation,
    undo_last_operation,
    undo_refusal,
    undoable_operation,
)

__all__ = [
    "BULK_MAX", "GIVE", "MAX_IMPORT_YEARS", "MAX_QUANTITY", "MAX_USERS", "MAX_YEARS",
    "NOT_RENEWING_CLEARED", "TAKE", "UNDO_HOURS", "addon",
    "AddonPlan", "AddonResult", "AlreadyDone", "BulkRenewalResult", "ImportPlan",
    "ImportRefused", "ImportResult", "ImportRow", "CotermResult", "OperationRefused",
    "PlannedRenewal",
    "PoolDebit", "RenewalResult",
    "UndoResult", "add_subscription", "add_users", "allocate_licenses",
    "bulk_renewal_preview", "bulk_result_summary",
    "cancel_renewal", "clear_not_renewing", "coterm_subscriptions", "create_client",
    "grant_licenses", "last_operation",
    "import_subscriptions", "mark_not_renewing", "read_last_operation", "new_term_start",
    "plan_addon",
    "plan_bulk_renewal", "plan_import", "pool_balance", "record_bulk_debit",
    "refusal_for_status",
    "renew_subscription", "renew_subscriptions", "short_pools_refusal", "shortfall_message",
    "check_plan", "plan_quantity", "set_renewal_plan", "simulate_coterm",
    "undo_last_operation", "undo_refusal", "undoable_operation", "write_renewals",
]
