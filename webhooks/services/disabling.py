"""An endpoint that keeps failing is disabled (docs/webhooks.md): when one of its
deliveries has failed its first try and every retry of WEBHOOK_RETRY_DELAYS (about 17
hours by default), the endpoint stops receiving events (none is recorded for it while
it is disabled) and its organization's managers
get an e-mail, in their language, once the change is committed; the page says so too."""

from django.conf import settings
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from audit.models import Action
from audit.services import record

from .. import queue
from ..models import Delivery, DeliveryState, Endpoint
from ..selectors.endpoints import managers_of


def disable(endpoint, *, now):
    changed = Endpoint.objects.filter(pk=endpoint.pk, enabled=True).update(
        enabled=False, disabled_at=now
    )
    if changed:
        record(Action.WEBHOOK_CHANGED, organization=endpoint.organization_id, target=endpoint,
               before={"enabled": True}, after={"enabled": False})
        transaction.on_commit(lambda: _tell_managers(endpoint))


def enable(endpoint):
    """Back on: the events still pending when it was disabled are sent again now (their
    tasks found it disabled and let them be)."""
    Endpoint.objects.filter(pk=endpoint.pk).update(enabled=True, disabled_at=None)
    pending = Delivery.objects.filter(endpoint=endpoint, state=DeliveryState.PENDING)
    pending.update(next_attempt_at=timezone.now())
    queue.send(pending.values_list("pk", flat=True))


def _tell_managers(endpoint):
    url = settings.PORTAL_BASE_URL + reverse("webhooks")
    messages = []
    for user, language in managers_of(endpoint.organization_id):
        with translation.override(language):
            subject = _("Webhook endpoint disabled: %(url)s") % {"url": endpoint.url}
            body = _(
                "Every try to deliver an event to %(url)s failed, retries included, so "
                "this endpoint was disabled and receives no more events. Once the "
                "receiver works again, enable the endpoint and redeliver what it missed "
                "from its delivery log."
            ) % {"url": endpoint.url}
        messages.append(mail.EmailMessage(subject, f"{body}\n\n{url}\n", to=[user.email]))
    if messages:
        with mail.get_connection() as connection:
            connection.send_messages(messages)
