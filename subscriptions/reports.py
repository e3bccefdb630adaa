"""The publisher's monthly report, per partner and product (`manage.py monthly_report`):
renewals done (and, apart, how many of them were automatic: rule 23) and licenses consumed,
the subscriptions marked "not renewing" (rule 15), and the add-ons (users added mid-term,
rule 19), counted apart from the renewals.

Co-terming (rule 20) is counted apart: `coterm_extensions`, the extension terms it wrote
during the month (an undone one not counted); what they cost is in `licenses_consumed`.

Not renewing is counted two ways, both for the subscriptions that carry the mark when the
report runs (the portal keeps the current mark only: a mark removed, or cleared by a
renewal, leaves no trace, so a month reported again later may count fewer):

- `marked_not_renewing`: marked during the month (the mark's date, in TIME_ZONE) — the
  decisions taken that month;
- `not_renewing_ending`: marked, whose term ends during the month, whenever the mark was
  set — the subscriptions lost that month.
"""

import datetime
from dataclasses import asdict, dataclass

from dateutil.relativedelta import relativedelta
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Organization

from .models import (
    AutoRenewClaim,
    LicenseMovement,
    MovementKind,
    Product,
    Subscription,
    Term,
    TermKind,
)
from .models_addon import TermChange

# Ledger kinds that pay for clients' terms. A reversal (an undone renewal or add-on) gives
# licenses back, and the two lines an import without debit writes cancel out, so their sum is what
# the month really consumed.
CONSUMING_KINDS = (
    MovementKind.CREATION,
    MovementKind.RENEWAL,
    MovementKind.IMPORT,
    MovementKind.REVERSAL,
    MovementKind.ADDON,
    MovementKind.COTERM,
)


@dataclass
class ReportLine:
    partner: str
    partner_id: int
    product: str
    renewals: int = 0
    new_subscriptions: int = 0
    imported: int = 0
    licenses_consumed: int = 0
    marked_not_renewing: int = 0
    not_renewing_ending: int = 0
    addons: int = 0
    addon_licenses: int = 0
    # Rule 23: the renewals run_auto_renewals made, also counted in `renewals`.
    automatic_renewals: int = 0
    coterm_extensions: int = 0

    def as_dict(self):
        return asdict(self)


def month_bounds(month: datetime.date):
    """The month as aware datetimes in TIME_ZONE: a renewal at 00:30 in Paris on the 1st
    belongs to that month, although it is still the previous day in UTC."""
    zone = timezone.get_default_timezone()
    first = month.replace(day=1)
    following = first + relativedelta(months=1)
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=zone)
    stop = datetime.datetime.combine(following, datetime.time.min, tzinfo=zone)
    return start, stop


def monthly_report(month: datetime.date):
    start, stop = month_bounds(month)
    lines = {}

    def line(partner_id, product_id):
        return lines.setdefault((partner_id, product_id), ReportLine("", partner_id, ""))

    terms = (
        # An undone renewal (rule 14) is no renewal: its reversal refunds it in the ledger.
        Term.objects.filter(created_at__gte=start, created_at__lt=stop, cancelled_at__isnull=True)
        .values("subscription__client__partner_id", "subscription__product_id")
        .annotate(
            renewals=Count("pk", filter=Q(kind=TermKind.RENEWAL)),
            creations=Count("pk", filter=Q(kind=TermKind.CREATION)),
            imports=Count("pk", filter=Q(kind=TermKind.IMPORT)),
            coterm_extensions=Count("pk", filter=Q(kind=TermKind.COTERM)),
        )
        .order_by()
    )
    for row in terms:
        entry = line(row["subscription__client__partner_id"], row["subscription__product_id"])
        entry.renewals = row["renewals"]
        entry.new_subscriptions = row["creations"]
        entry.imported = row["imports"]
        entry.coterm_extensions = row["coterm_extensions"]
    automatic = (
        AutoRenewClaim.objects.filter(
            term__created_at__gte=start, term__created_at__lt=stop,
            term__cancelled_at__isnull=True,
        )
        .values("subscription__client__partner_id", "subscription__product_id")
        .annotate(count=Count("pk"))
        .order_by()
    )
    for row in automatic:
        line(row["subscription__client__partner_id"],
             row["subscription__product_id"]).automatic_renewals = row["count"]
    movements = (
        LicenseMovement.objects.filter(
            created_at__gte=start, created_at__lt=stop, kind__in=CONSUMING_KINDS
        )
        .annotate(partner_id=Coalesce("pool__organization__parent_id", "pool__organization_id"))
        .values("partner_id", "pool__product_id")
        .annotate(total=Sum("quantity"))
        .order_by()
    )
    for row in movements:
        line(row["partner_id"], row["pool__product_id"]).licenses_consumed = -row["total"]
    # Rule 19: the add-ons made in the month and not undone, each counted once (its one
    # ledger line) however many terms it raised, and the licenses they debited.
    addons = (
        TermChange.objects.filter(
            created_at__gte=start, created_at__lt=stop, cancelled_at__isnull=True
        )
        .values("subscription__client__partner_id", "subscription__product_id")
        .annotate(count=Count("movement_id", distinct=True), total=Sum("licenses"))
        .order_by()
    )
    for row in addons:
        entry = line(row["subscription__client__partner_id"], row["subscription__product_id"])
        entry.addons = row["count"]
        entry.addon_licenses = row["total"]
    marked_then = Q(not_renewing_at__gte=start, not_renewing_at__lt=stop)
    ending_then = Q(term_end__gte=start.date(), term_end__lt=stop.date())
    marked = (
        Subscription.objects.filter(not_renewing_reason__isnull=False)
        .filter(marked_then | ending_then)
        .values("client__partner_id", "product_id")
        .annotate(marked=Count("pk", filter=marked_then), ending=Count("pk", filter=ending_then))
        .order_by()
    )
    for row in marked:
        entry = line(row["client__partner_id"], row["product_id"])
        entry.marked_not_renewing = row["marked"]
        entry.not_renewing_ending = row["ending"]
    partners = dict(
        Organization.objects.filter(pk__in={key[0] for key in lines}).values_list("pk", "name")
    )
    products = dict(
        Product.objects.filter(pk__in={key[1] for key in lines}).values_list("pk", "code")
    )
    for (partner_id, product_id), entry in lines.items():
        entry.partner = partners.get(partner_id, "")
        entry.product = products.get(product_id, "")
    return sorted(lines.values(), key=lambda e: (e.partner, e.partner_id, e.product))
