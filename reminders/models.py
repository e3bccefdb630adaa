"""Renewal reminders: who wants them, in which language, and which were sent.

`ReminderSent` is the memory that makes a reminder go out once: its unique key is claimed
inside the sending run's transaction (services.send_reminders), so a second run at the same
time waits on that key and then skips, and a run that dies before committing leaves
nothing behind for the next one to skip.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Threshold(models.IntegerChoices):
    """Days before the end date; AFTER_END is the day after it (the subscription expired)."""

    DAYS_90 = 90, _("90 days before the end")
    DAYS_30 = 30, _("30 days before the end")
    DAYS_7 = 7, _("7 days before the end")
    AFTER_END = -1, _("Expired yesterday or earlier")


class ReminderPreference(models.Model):
    """A user's own choices; a user without a row gets reminders in the portal's default
    language."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="reminder_preference",
    )
    reminders_enabled = models.BooleanField(_("receive renewal reminders"), default=True)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("reminder preference")
        verbose_name_plural = _("reminder preferences")

    def __str__(self):
        return f"{self.user} ({self.language}, {'on' if self.reminders_enabled else 'off'})"


class ReminderSent(models.Model):
    """One reminder of one subscription's term, sent to every recipient of one run.

    The term's end date is part of the key: after a renewal, the next term's reminders are
    new reminders, while the same threshold of the same term is never sent twice.
    """

    subscription = models.ForeignKey(
        "subscriptions.Subscription",
        verbose_name=_("subscription"),
        on_delete=models.CASCADE,
        related_name="reminders_sent",
    )
    term_end = models.DateField(_("end date reminded"))
    threshold = models.SmallIntegerField(_("threshold"), choices=Threshold.choices)
    recipients = models.PositiveIntegerField(_("recipients"), default=0)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "term_end", "threshold"], name="one_reminder_per_threshold"
            ),
        ]

    def __str__(self):
        return f"{self.subscription} — {self.get_threshold_display()} ({self.term_end})"
