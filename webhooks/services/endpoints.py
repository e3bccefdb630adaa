"""A manager's changes to its organization's endpoints (docs/webhooks.md), each with its
`webhook_changed` audit row (rule 24) in the same transaction; the secret is never in it."""

import base64
import secrets

from django.db import transaction

from audit.models import Action
from audit.services import record

from ..models import Endpoint
from . import disabling


def new_secret():
    """A Standard Webhooks secret: `whsec_` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _state(endpoint):
    return {"url": endpoint.url, "events": endpoint.events, "enabled": endpoint.enabled}


def _audit(endpoint, *, actor=None, before=None, after=None):
    record(Action.WEBHOOK_CHANGED, actor=actor, organization=endpoint.organization_id,
           target=endpoint, before=before, after=after)


@transaction.atomic
def create_endpoint(*, actor, organization_id, url, events):
    endpoint = Endpoint.objects.create(
        organization_id=organization_id, url=url, events=sorted(events),
        secret=new_secret(), created_by=actor,
    )
    _audit(endpoint, actor=actor, after=_state(endpoint))
    return endpoint


@transaction.atomic
def delete_endpoint(endpoint, *, actor=None):
    _audit(endpoint, actor=actor, before=_state(endpoint))
    endpoint.delete()


@transaction.atomic
def enable_endpoint(endpoint, *, actor=None):
    before = _state(endpoint)
    _audit(endpoint, actor=actor, before=before, after={**before, "enabled": True})
    disabling.enable(endpoint)
