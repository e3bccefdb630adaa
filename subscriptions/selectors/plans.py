"""What a subscription's next renewal will be (rules 22 and 23), for the pages and
e-mails that show it: its users and years (the plan, or the current users for one year),
what it costs, and for an auto-renewing one the day run_auto_renewals renews it."""

import datetime
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db.models import BigIntegerField, Count, F, Sum
from django.db.models.functions import Coalesce

from ..dates import local_today
from ..models import Subscription
from ..status import Status, status_q
from .figures_cache import cached_figures

# Rule 16: a partner's renewal window is at most this many months.
MAX_WINDOW_MONTHS = 12


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


def auto_renew_due(user, *, today=None):
    """The subscriptions of the user's scope to renew now (rule 7) that renew by themselves
    (rule 23), and the licenses their renewals will take (rule 22's quantity): what the
    forecast says of them. {"subscriptions": N, "licenses": N}. Kept with the scope's
    other figures until the data changes: staff's count reads every auto-renewing
    subscription ending within the longest window."""
    today = today or local_today()
    return cached_figures(
        "auto-renew-due", user, lambda: _auto_renew_due(user, today), today=today
    )


def _auto_renew_due(user, today):
    rows = (
        Subscription.objects.visible_to(user)
        # Nothing to renew now ends past the longest window: the partial index's range.
        .filter(auto_renew=True, not_renewing_reason__isnull=True,
                term_end__lt=today + relativedelta(months=MAX_WINDOW_MONTHS))
        # Rule 7's statuses as plain conditions (status_q): no status CASE to build and
        # evaluate for each auto-renewing row.
        .filter(status_q(Status.EXPIRING, today) | status_q(Status.EXPIRED, today))
        .aggregate(
            subscriptions=Count("pk"),
            licenses=Sum(Coalesce(
                F("renewal_users") * F("renewal_years"), F("users"),
                output_field=BigIntegerField(),
            )),
        )
    )
    return {"subscriptions": rows["subscriptions"], "licenses": rows["licenses"] or 0}
