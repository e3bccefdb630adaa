"""Co-terming (docs/rules.md rule 20): one operation that gave several subscriptions of a
client an extension term ending on the same day, and the ledger lines that paid for them.

They are kept together so that the co-terming can be undone whole (rule 21): its extension
terms, each with the pool that paid for it, and one debit line per pool.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CoTerming(models.Model):
    """One co-terming: a client's chosen subscriptions extended to `end_date` at once."""

    client = models.ForeignKey(
        "subscriptions.Client", verbose_name=_("client"), on_delete=models.PROTECT,
        related_name="coterms",
    )
    end_date = models.DateField(_("common end date"))
    licenses = models.PositiveIntegerField(_("licenses debited"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Rule 21: an undone co-terming stays (its ledger lines point at it), marked cancelled.
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("cancelled by"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+",
    )

    class Meta:
        verbose_name = _("co-terming")
        verbose_name_plural = _("co-termings")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.client} → {self.end_date}"


class CoTermExtension(models.Model):
    """One extension term a co-terming wrote, and the pool it was paid from."""

    coterming = models.ForeignKey(
        CoTerming, verbose_name=_("co-terming"), on_delete=models.PROTECT,
        related_name="extensions",
    )
    term = models.OneToOneField(
        "subscriptions.Term", verbose_name=_("term"), on_delete=models.PROTECT,
        related_name="coterm_extension",
    )
    pool = models.ForeignKey(
        "subscriptions.LicensePool", verbose_name=_("pool"), on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("co-term extension")
        verbose_name_plural = _("co-term extensions")

    def __str__(self):
        return f"{self.coterming_id}: {self.term_id}"


class CoTermDebit(models.Model):
    """The ledger line that paid one pool's share of a co-terming (one per pool)."""

    coterming = models.ForeignKey(
        CoTerming, verbose_name=_("co-terming"), on_delete=models.PROTECT,
        related_name="debits",
    )
    movement = models.OneToOneField(
        "subscriptions.LicenseMovement", verbose_name=_("ledger line"),
        on_delete=models.PROTECT, related_name="coterm_debit",
    )

    class Meta:
        verbose_name = _("co-terming debit")
        verbose_name_plural = _("co-terming debits")

    def __str__(self):
        return f"{self.coterming_id}: {self.movement_id}"
