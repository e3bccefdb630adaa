"""The demo data of docs/interface.md ("Demo data"), behind `manage.py seed_demo`.

- `cast`: the fixed demo cast (partners, resellers, logins, pools, hand-made clients in
  every status) and the minimum balances it guarantees;
- `generated`: the clients of `--clients N`, drawn from a seeded generator;
- `bulk`: their loading in batches, paid by one ledger line per pool;
- `base`: the day the demo is seeded and the report; `seeding`: `seed`, all of it.

Dates are relative to `local_today()` and the renewal window of the day the demo is
seeded, so the statuses are right on that day and age like real data afterwards.
"""

from .base import Calendar, SeedReport, start_for_end
from .cast import (
    ALPHA,
    ALPHA_RESELLER,
    BETA,
    BETA_RESELLER,
    DEMO_USERS,
    MINIMUM_DEMO_BALANCE,
    PRODUCTS,
    balances_below_minimum,
    seed_base,
)
from .generated import (
    GENERATED_SUFFIX_REGEX,
    MAX_GENERATED,
    existing_generated_count,
    seed_generated,
)
from .seeding import seed

__all__ = [
    "ALPHA",
    "ALPHA_RESELLER",
    "BETA",
    "BETA_RESELLER",
    "DEMO_USERS",
    "GENERATED_SUFFIX_REGEX",
    "MAX_GENERATED",
    "MINIMUM_DEMO_BALANCE",
    "PRODUCTS",
    "Calendar",
    "SeedReport",
    "balances_below_minimum",
    "existing_generated_count",
    "seed",
    "seed_base",
    "seed_generated",
    "start_for_end",
]
