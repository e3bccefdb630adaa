"""What run_auto_renewals remembers (docs/rules.md rule 23).

Kept apart from models.py (imported at its end, so Django registers them); foreign keys
by name, so this module does not import models.py.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AutoRenewClaim(models.Model):
    """One automatic renewal of one subscription's term, by its end date.

    The unique key makes it happen once however many runs race: a run inserts the claim in
    the renewal's transaction, a second run waits on the key and then finds it taken. A
    renewal the pool could not pay rolls its claim back, so the next run tries again; an
    undone automatic renewal keeps its claim, so the same end is not renewed again by
    itself."""

    subscription = models.ForeignKey(
        "subscriptions.Subscription",
        verbose_name=_("subscription"),
        on_delete=models.CASCADE,
        related_name="auto_renew_claims",
    )
    term_end = models.DateField(_("end date renewed"))
    term = models.ForeignKey(
        "subscriptions.Term",
        verbose_name=_("term"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("renewed at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("automatic renewal")
        verbose_name_plural = _("automatic renewals")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "term_end"], name="one_auto_renewal_per_end"
            ),
        ]

    def __str__(self):
        return f"{self.subscription} ({self.term_end})"


class AutoRenewNoticeKind(models.TextChoices):
    SHORT = "short", _("The pool could not pay")
    SWITCHED_OFF = "off", _("Auto-renew switched off")


class AutoRenewNotice(models.Model):
    """A notice sent to the paying organization's managers: once per subscription, kind
    and day (claimed by its unique key before the mail leaves, as reminders do)."""

    subscription = models.ForeignKey(
        "subscriptions.Subscription",
        verbose_name=_("subscription"),
        on_delete=models.CASCADE,
        related_name="auto_renew_notices",
    )
    kind = models.CharField(_("kind"), max_length=8, choices=AutoRenewNoticeKind.choices)
    day = models.DateField(_("day"))
    missing = models.PositiveIntegerField(_("missing licenses"), default=0)
    recipients = models.PositiveIntegerField(_("recipients"), default=0)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("auto-renew notice")
        verbose_name_plural = _("auto-renew notices")
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "kind", "day"], name="one_auto_renew_notice_per_day"
            ),
        ]

    def __str__(self):
        return f"{self.subscription} — {self.kind} ({self.day})"
