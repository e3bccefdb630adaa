"""The dashboard's and the forecast's figures, kept (selectors/figures_kept.py): derived
rows, rebuilt from the subscriptions, registered from models.py."""

from django.db import models
from django.db.models.functions import Coalesce


class FigureRow(models.Model):
    """One row of the figures of the subscriptions of one client group (a partner and
    optionally one of its resellers: the scope's own columns), as of `FiguresState.as_of`.

    `part` says which columns count what (selectors/figures_sql.py writes them): `status`:
    `subscriptions` in `status`; `companies`: distinct clients to renew; `month`: per
    product and month, `subscriptions` ending in it not renewed yet and the `licenses`
    they need; `pool`: per product, what the paying pool needs now and over the forecast's
    horizon (`licenses`, `companies`, `licenses_12`, `companies_12`); `dry`: per product,
    the day its pool runs dry (`runs_dry`) and that day's `month` (the chart's first short
    month for it).

    A large group's clients are spread over `FiguresBuckets.buckets` buckets (client id
    modulo that number) and every part but `dry` is kept per `bucket`: a renewal
    recomputes one bucket, not 25 000 subscriptions. Plain numbers, no foreign keys: the
    rows are thrown away and rebuilt, never edited, and must not stand in the way of
    deleting what they count.
    """

    part = models.CharField(max_length=10)
    partner_id = models.IntegerField(null=True)
    reseller_id = models.IntegerField(null=True)
    bucket = models.SmallIntegerField(default=0)
    product_id = models.IntegerField(null=True)
    status = models.CharField(max_length=12, null=True)
    month = models.DateField(null=True)
    subscriptions = models.BigIntegerField(default=0)
    companies = models.BigIntegerField(default=0)
    licenses = models.BigIntegerField(default=0)
    companies_12 = models.BigIntegerField(default=0)
    licenses_12 = models.BigIntegerField(default=0)
    runs_dry = models.DateField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["partner_id"], name="figurerow_partner"),
            models.Index(fields=["reseller_id"], name="figurerow_reseller"),
            # A refresh replaces a paying organization's rows, or one bucket's.
            models.Index(
                Coalesce("reseller_id", "partner_id"), "bucket", name="figurerow_payer_bucket"
            ),
        ]

    def __str__(self):
        return f"{self.part} {self.partner_id}/{self.reseller_id}"


class FigureDay(models.Model):
    """The licenses that the renewals due (rule 17) of one bucket of a client group need
    on one day, per product (kept with FigureRow, on PostgreSQL): after one of its buckets
    or its balance changed, the day a pool runs dry is computed from these, not from the
    25 000 subscriptions it may pay for. Plain numbers, as FigureRow's."""

    partner_id = models.IntegerField(null=True)
    reseller_id = models.IntegerField(null=True)
    bucket = models.SmallIntegerField()
    product_id = models.IntegerField()
    term_end = models.DateField()
    month = models.DateField()
    licenses = models.BigIntegerField()

    class Meta:
        indexes = [
            # As FigureRow's: a refresh replaces a paying organization's days, or a bucket's.
            models.Index(
                Coalesce("reseller_id", "partner_id"), "bucket", name="figureday_payer_bucket"
            ),
        ]

    def __str__(self):
        return f"{self.partner_id}/{self.reseller_id}/{self.bucket} {self.term_end}"


class FiguresChange(models.Model):
    """A paying organization whose figures a write has changed: database triggers add one
    (migrations 0007 and 0009) for every subscription, pool balance or partner window
    written, by any path; selectors/figures_kept.py recomputes what changed and deletes
    these. Only ever inserted by writers: no row two writers would both have to update.

    `client_id`: the client of a subscription written (its bucket changed); `balance`: one
    of the organization's pool balances (only the day it runs dry changed); neither: all of
    the organization's rows (its partner's window)."""

    id = models.BigAutoField(primary_key=True)
    organization_id = models.IntegerField()
    client_id = models.IntegerField(null=True)
    # In the database too: a record of the organization alone (a script's, an old
    # trigger's) recomputes all of it.
    balance = models.BooleanField(default=False, db_default=False)

    def __str__(self):
        return f"{self.organization_id}"


class FiguresBuckets(models.Model):
    """How many buckets a large paying organization's kept figures are split into (set
    when they are all rebuilt, from its number of subscriptions; none: one bucket)."""

    organization_id = models.IntegerField(primary_key=True)
    buckets = models.SmallIntegerField()

    def __str__(self):
        return f"{self.organization_id}: {self.buckets}"


class FiguresState(models.Model):
    """The day and default window the kept figures were computed for (one row): another
    day or another default window rebuilds them all; no row, as after a flush, too."""

    as_of = models.DateField()
    window_months = models.PositiveSmallIntegerField()

    def __str__(self):
        return f"{self.as_of} ({self.window_months})"
