"""The e-mails of rule 23 (docs/rules.md): the paying organization's managers are told,
once per subscription and day, that its automatic renewal could not be paid and how many
licenses are missing; and, once, that auto-renew was switched off after the grace period.

"Once" is the unique key of `AutoRenewNotice`, claimed inside the transaction that hands
the mails to the backend (as the renewal reminders do): a concurrent run waits on the key
and then sends nothing.
"""

import datetime
import logging

from django.conf import settings
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Membership, Role
from portal.numbers import figures
from webhooks.events import EventType
from webhooks.services import outbox

from ..models import AutoRenewNotice
from ..models_plan import AutoRenewNoticeKind

logger = logging.getLogger("portal.operations")


def _managers(organization_id):
    """(user, language) of the organization's active managers with an address."""
    from reminders.models import ReminderPreference

    memberships = list(
        Membership.objects.filter(
            organization_id=organization_id, role=Role.MANAGER, user__is_active=True
        )
        .exclude(user__email="")
        .select_related("user")
        .order_by("user_id")
    )
    languages = dict(
        ReminderPreference.objects.filter(
            user_id__in=[m.user_id for m in memberships]
        ).values_list("user_id", "language")
    )
    return [(m.user, languages.get(m.user_id, settings.LANGUAGE_CODE)) for m in memberships]


def _short_text(subscription, *, missing, licenses, last_day):
    values = figures({
        "missing": missing,
        "licenses": licenses,
        "product": subscription.product.name,
        "client": subscription.client.name,
        "organization": subscription.client.paying_organization.name,
        "date": formats.date_format(last_day, "SHORT_DATE_FORMAT"),
    })
    subject = _("Partner Portal: the automatic renewal of %(product)s for %(client)s "
                "could not be paid") % values
    body = ngettext(
        "The %(product)s subscription of %(client)s could not be renewed automatically: "
        "its renewal costs %(licenses)s licenses and %(missing)s license is missing in the "
        "pool of %(organization)s. Nothing was changed. The portal tries again every day "
        "until %(date)s; then auto-renew is switched off.",
        "The %(product)s subscription of %(client)s could not be renewed automatically: "
        "its renewal costs %(licenses)s licenses and %(missing)s licenses are missing in "
        "the pool of %(organization)s. Nothing was changed. The portal tries again every "
        "day until %(date)s; then auto-renew is switched off.",
        missing,
    ) % values
    return subject, body


def _off_text(subscription, *, missing):
    values = figures({
        "missing": missing,
        "product": subscription.product.name,
        "client": subscription.client.name,
        "organization": subscription.client.paying_organization.name,
        "days": settings.AUTO_RENEW_GRACE_DAYS,
    })
    subject = _("Partner Portal: auto-renew switched off for %(product)s of %(client)s") % values
    body = ngettext(
        "The %(product)s subscription of %(client)s has been expired for %(days)s days and "
        "the pool of %(organization)s still lacks %(missing)s license to renew it: "
        "auto-renew is switched off. Renew it from the portal when the licenses are there.",
        "The %(product)s subscription of %(client)s has been expired for %(days)s days and "
        "the pool of %(organization)s still lacks %(missing)s licenses to renew it: "
        "auto-renew is switched off. Renew it from the portal when the licenses are there.",
        missing,
    ) % values
    return subject, body


def send_notice(outcome, *, today, switched_off):
    """The notice of `outcome` (services.auto_renewal.AutoRenewal) to the managers of the
    paying organization, unless one of its kind was sent for the subscription today.
    Returns the number of recipients (0 when already sent today)."""
    subscription = outcome.subscription
    kind = AutoRenewNoticeKind.SWITCHED_OFF if switched_off else AutoRenewNoticeKind.SHORT
    recipients = _managers(subscription.client.paying_organization.pk)
    url = settings.PORTAL_BASE_URL + reverse("renew", args=[subscription.pk])
    last_day = subscription.term_end + datetime.timedelta(days=settings.AUTO_RENEW_GRACE_DAYS)
    try:
        with transaction.atomic():
            AutoRenewNotice.objects.create(
                subscription=subscription, kind=kind, day=today, missing=outcome.missing,
                recipients=len(recipients),
            )
            outbox.record(EventType.AUTO_RENEW_FAILED, [subscription], {"missing": outcome.missing})
            messages = []
            for user, language in recipients:
                with translation.override(language):
                    if switched_off:
                        subject, body = _off_text(subscription, missing=outcome.missing)
                    else:
                        subject, body = _short_text(
                            subscription, missing=outcome.missing,
                            licenses=outcome.licenses, last_day=last_day,
                        )
                messages.append(mail.EmailMessage(
                    subject, f"{body}\n\n{url}\n", to=[user.email],
                ))
            if messages:
                with mail.get_connection() as connection:
                    connection.send_messages(messages)
    except IntegrityError:
        return 0
    logger.info("auto_renew_notice subscription=%s kind=%s recipients=%d",
                subscription.pk, kind, len(recipients))
    return len(recipients)
