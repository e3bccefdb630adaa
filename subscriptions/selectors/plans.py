"""What a subscription's next renewal will be (rules 22 and 23), for the pages and
e-mails that show it: its users and years (the plan, or the current users for one year),
what it costs, and for an auto-renewing one the day run_auto_renewals renews it."""

import datetime
from dataclasses import dataclass

from django.conf import settings

from ..dates import local_today


@dataclass(frozen=True)
class NextRenewal:
    users: int
    years: int
    planned: bool
    auto_renew: bool
    # The day the daily run renews it (today when it is already due); None unless
    # auto-renewing.
    on: datetime.date | None

    @property
    def licenses(self):
        return self.users * self.years


def next_renewal(subscription, *, today=None):
    """NextRenewal of `subscription` (its latest term ends `term_end`)."""
    planned = bool(subscription.renewal_users and subscription.renewal_years)
    users = subscription.renewal_users if planned else subscription.users
    years = subscription.renewal_years if planned else 1
    on = None
    if subscription.auto_renew:
        today = today or local_today()
        lead = datetime.timedelta(days=settings.AUTO_RENEW_LEAD_DAYS)
        on = max(subscription.term_end - lead, today)
    return NextRenewal(users, years, planned, subscription.auto_renew, on)
