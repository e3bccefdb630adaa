"""Renewal reminders (docs/interface.md, `send_renewal_reminders`).

For each subscription to renew, the latest threshold reached (90, 30 and 7 days before the
end date, or its partner's own days (rule 16); and the day after it) is sent once, if it
never was: a first run, or a run after missed days, sends where each subscription stands
today and skips the thresholds it passed unseen. Recipients are the managers of every
organization whose scope holds the subscription (its reseller's and its partner's); each
gets one digest per run.

Once per (subscription, term end, threshold): every reminder of a run is claimed by
inserting its `ReminderSent` row inside the run's transaction, before any mail leaves, and
the transaction commits after the mails are handed to the backend. A concurrent run waits
on the unique key and then skips what the first one sent; a run killed before committing
leaves no row, so the next run sends what it could not. The one case left open is a kill
between handing digests to the mail server and the commit: those digests go out again on
the next run (no SMTP server takes part in a database transaction).
"""

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core import mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import MAX_REMINDER_DAYS, Membership, Role
from portal.numbers import figures
from subscriptions.dates import local_today
from subscriptions.models import Subscription
from subscriptions.selectors.plans import next_renewal
from subscriptions.status import Status
from webhooks.events import EventType
from webhooks.services import outbox

from .models import ReminderPreference, ReminderSent, Threshold

logger = logging.getLogger("portal.operations")

# Most urgent first: the first one reached, in this order, is "the latest threshold reached".
THRESHOLDS_LATEST_FIRST = (
    Threshold.AFTER_END,
    Threshold.DAYS_7,
    Threshold.DAYS_30,
    Threshold.DAYS_90,
)
AFTER_END = int(Threshold.AFTER_END)


def thresholds_for(partner):
    """A partner's thresholds, most urgent first: the day after the end always comes first,
    then its own days before the end (docs/interface.md: 7, 30, 90 when it set none)."""
    days = partner.reminder_thresholds if partner is not None else ()
    if not days:
        return THRESHOLDS_LATEST_FIRST
    return (AFTER_END, *sorted(days))


def threshold_label(threshold):
    if threshold in Threshold.values:
        return Threshold(threshold).label
    return ngettext(
        "%(days)s day before the end", "%(days)s days before the end", threshold
    ) % figures({"days": threshold})


def _urgency(threshold):
    """Sort key: the day after the end first, then the fewest days before it."""
    return (threshold != AFTER_END, threshold)


def threshold_date(end: datetime.date, threshold: int) -> datetime.date:
    if threshold == Threshold.AFTER_END:
        return end + datetime.timedelta(days=1)
    return end - datetime.timedelta(days=threshold)


def latest_threshold_reached(
    end: datetime.date, today: datetime.date, thresholds=THRESHOLDS_LATEST_FIRST
):
    for threshold in thresholds:
        if threshold_date(end, threshold) <= today:
            return int(threshold)
    return None


def exclude_not_renewing(rows):
    """Rule 15: a subscription marked as not renewing is no longer to renew, so nobody is
    reminded of it."""
    return rows.filter(not_renewing_reason__isnull=True)


@dataclass
class Reminder:
    subscription: Subscription
    threshold: int
    term_end: datetime.date

    @property
    def organization_ids(self):
        client = self.subscription.client
        return [org for org in (client.reseller_id, client.partner_id) if org]


@dataclass
class Digest:
    user: object
    language: str
    reminders: list = field(default_factory=list)
    seen: set = field(default_factory=set, repr=False)


@dataclass
class RunResult:
    reminders: list
    digests: list
    sent: int = 0
    failed: int = 0
    skipped: int = 0


def due_reminders(today: datetime.date):
    """Every reminder due today and never sent, most urgent first."""
    # Not renewed, started: `active` rows within the earliest threshold any partner may set
    # are included, as a partner's own renewal window may be shorter than its thresholds.
    rows = (
        Subscription.objects.with_status(today)
        .filter(
            status__in=Status.RENEWABLE,
            term_end__lte=today + datetime.timedelta(days=MAX_REMINDER_DAYS),
        )
        .select_related("client__partner", "client__reseller", "product")
        .order_by("term_end", "pk")
    )
    rows = exclude_not_renewing(rows)
    sent = set(
        ReminderSent.objects.filter(subscription__in=rows.values("pk")).values_list(
            "subscription_id", "term_end", "threshold"
        )
    )
    due = []
    for subscription in rows:
        threshold = latest_threshold_reached(
            subscription.term_end, today, thresholds_for(subscription.client.partner)
        )
        if threshold is None:
            continue
        if (subscription.pk, subscription.term_end, int(threshold)) in sent:
            continue
        due.append(Reminder(subscription, threshold, subscription.term_end))
    return due


def _recipients_by_organization(organization_ids):
    """Managers (never read-only users) with an address who have not turned reminders off."""
    memberships = (
        Membership.objects.filter(
            organization_id__in=organization_ids,
            role=Role.MANAGER,
            user__is_active=True,
        )
        .exclude(user__email="")
        .select_related("user")
        .order_by("user_id")
    )
    preferences = {
        pref.user_id: pref
        for pref in ReminderPreference.objects.filter(
            user_id__in=[m.user_id for m in memberships]
        )
    }
    by_organization = defaultdict(list)
    for membership in memberships:
        preference = preferences.get(membership.user_id)
        if preference is not None and not preference.reminders_enabled:
            continue
        language = preference.language if preference else settings.LANGUAGE_CODE
        by_organization[membership.organization_id].append((membership.user, language))
    return by_organization


def build_digests(reminders):
    organization_ids = {org for reminder in reminders for org in reminder.organization_ids}
    recipients = _recipients_by_organization(organization_ids)
    digests = {}
    for reminder in reminders:
        for organization_id in reminder.organization_ids:
            for user, language in recipients.get(organization_id, ()):
                digest = digests.setdefault(user.pk, Digest(user=user, language=language))
                # A partner manager who is also reached through a reseller gets it once.
                if id(reminder) not in digest.seen:
                    digest.seen.add(id(reminder))
                    digest.reminders.append(reminder)
    return sorted(digests.values(), key=lambda digest: digest.user.pk)


def _absolute(path):
    return settings.PORTAL_BASE_URL + path


def _groups(reminders):
    groups = defaultdict(list)
    for reminder in sorted(
        reminders,
        key=lambda r: (
            _urgency(r.threshold), r.term_end, r.subscription.client.name, r.subscription.pk
        ),
    ):
        subscription = reminder.subscription
        groups[reminder.threshold].append(
            {
                "client": subscription.client.name,
                "reseller": subscription.client.reseller.name
                if subscription.client.reseller_id
                else "",
                "product": subscription.product.name,
                "users": subscription.users,
                "end_date": reminder.term_end,
                "renew_url": _absolute(reverse("renew", args=[subscription.pk])),
                # Rule 23: whether it renews by itself, when, and for how much.
                "next": next_renewal(subscription),
            }
        )
    return [
        {
            "threshold": int(threshold),
            "label": threshold_label(threshold),
            "rows": groups[threshold],
        }
        for threshold in sorted(groups, key=_urgency)
    ]


def render_digest(digest):
    """The digest as an e-mail in the recipient's language, HTML and plain text."""
    with translation.override(digest.language):
        count = len(digest.reminders)
        context = {
            "user": digest.user,
            "language": digest.language,
            "count": count,
            "groups": _groups(digest.reminders),
            "renewals_url": _absolute(reverse("renewals")),
            "preferences_url": _absolute(reverse("reminder_preferences")),
        }
        subject = ngettext(
            "Partner Portal: %(count)s subscription to renew",
            "Partner Portal: %(count)s subscriptions to renew",
            count,
        ) % figures({"count": count})
        text = render_to_string("reminders/email/digest.txt", context)
        html = render_to_string("reminders/email/digest.html", context)
    message = mail.EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[digest.user.email],
        headers={"Content-Language": digest.language},
    )
    message.attach_alternative(html, "text/html")
    return message


def _claim(reminder):
    """Inserts the reminder's row; False when another run holds or sent it already.

    On PostgreSQL the insert waits while a concurrent run holds the same key uncommitted,
    and fails once that run commits.
    """
    try:
        with transaction.atomic():
            return ReminderSent.objects.create(
                subscription=reminder.subscription,
                term_end=reminder.term_end,
                threshold=int(reminder.threshold),
            )
    except IntegrityError:
        return None


def _expiring_events(claimed, attempted, delivered):
    """The `subscription.expiring` webhook of each reminder kept as sent (docs/webhooks.md),
    in the run's transaction: a reminder released for the next run is told then."""
    reminders = [
        reminder for key, (reminder, _row) in claimed.items()
        if delivered[key] or not attempted[key]
    ]
    outbox.record(EventType.EXPIRING, [r.subscription for r in reminders], each={
        r.subscription.pk: {
            "threshold": "after_end" if r.threshold == AFTER_END else r.threshold,
            "term_end": r.term_end,
        }
        for r in reminders
    })


def send_reminders(*, today=None, dry_run=False, connection=None):
    today = today or local_today()
    due = due_reminders(today)
    if dry_run:
        return RunResult(reminders=due, digests=build_digests(due))
    with transaction.atomic():
        claimed = {}
        for reminder in due:
            row = _claim(reminder)
            if row is not None:
                claimed[id(reminder)] = (reminder, row)
        reminders = [reminder for reminder, _row in claimed.values()]
        digests = build_digests(reminders)
        result = RunResult(
            reminders=reminders, digests=digests, skipped=len(due) - len(reminders)
        )
        delivered = defaultdict(int)
        attempted = defaultdict(int)
        connection = connection or mail.get_connection()
        for digest in digests:
            for reminder in digest.reminders:
                attempted[id(reminder)] += 1
            try:
                connection.send_messages([render_digest(digest)])
            except Exception:
                # One bad address or a mail server hiccup must not cost the others their
                # reminders; the error is logged and the run exits non-zero.
                result.failed += 1
                logger.exception(
                    "reminder_digest_failed user=%s email=%s reminders=%d",
                    digest.user.pk, digest.user.email, len(digest.reminders),
                )
                continue
            result.sent += 1
            for reminder in digest.reminders:
                delivered[id(reminder)] += 1
            logger.info(
                "reminder_digest user=%s email=%s language=%s reminders=%d",
                digest.user.pk, digest.user.email, digest.language, len(digest.reminders),
            )
        for key, (_reminder, row) in claimed.items():
            if attempted[key] and not delivered[key]:
                # Nobody received it: release the claim so the next run tries again.
                ReminderSent.objects.filter(pk=row.pk).delete()
                continue
            if delivered[key]:
                ReminderSent.objects.filter(pk=row.pk).update(recipients=delivered[key])
        _expiring_events(claimed, attempted, delivered)
    logger.info(
        "reminders_run today=%s reminders=%d digests=%d sent=%d failed=%d skipped=%d",
        today.isoformat(), len(result.reminders), len(result.digests), result.sent,
        result.failed, result.skipped,
    )
    return result


def describe(reminder):
    """One line for the command's report."""
    subscription = reminder.subscription
    return _("%(client)s — %(product)s, ends %(end)s: %(threshold)s") % {
        "client": subscription.client.name,
        "product": subscription.product.code,
        "end": reminder.term_end.isoformat(),
        "threshold": threshold_label(reminder.threshold),
    }
