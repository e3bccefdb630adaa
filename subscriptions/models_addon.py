"""Users added to a subscription mid-term (docs/rules.md rule 19): one line per term an
add-on changed, kept as the term's history and undone as a whole (rule 21).

Kept apart from models.py, which it does not import: models.py imports it at its end so
that Django registers it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class TermChange(models.Model):
    """Users added to one term by one add-on: when, how many, what it cost, who.

    An add-on on a renewed subscription writes two lines, one for the current term and
    one for the queued term, both pointing at the add-on's single ledger line
    (`movement`), which is how an undo finds them all.
    """

    subscription = models.ForeignKey(
        "subscriptions.Subscription",
        verbose_name=_("subscription"),
        on_delete=models.PROTECT,
        related_name="term_changes",
    )
    term = models.ForeignKey(
        "subscriptions.Term",
        verbose_name=_("term"),
        on_delete=models.PROTECT,
        related_name="changes",
    )
    movement = models.ForeignKey(
        "subscriptions.LicenseMovement",
        verbose_name=_("ledger line"),
        on_delete=models.PROTECT,
        related_name="term_changes",
    )
    users_added = models.PositiveIntegerField(_("users added"))
    licenses = models.PositiveIntegerField(_("licenses debited"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Rule 21: an undone add-on stays as history (its ledger line points at it).
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cancelled by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("users added")
        verbose_name_plural = _("users added")
        ordering = ["term", "created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                name="term_change_users_positive", condition=Q(users_added__gte=1)
            ),
        ]
        indexes = [models.Index(fields=["subscription", "-created_at"])]

    def __str__(self):
        return f"{self.term}: +{self.users_added}"
