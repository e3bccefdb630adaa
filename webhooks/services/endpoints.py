"""A manager's changes to its organization's endpoints (docs/webhooks.md)."""

import base64
import secrets

from django.db import transaction

from ..models import Endpoint
from . import disabling


def new_secret():
    """A Standard Webhooks secret: `whsec_` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


@transaction.atomic
def create_endpoint(*, actor, organization_id, url, events):
    return Endpoint.objects.create(
        organization_id=organization_id, url=url, events=sorted(events),
        secret=new_secret(), created_by=actor,
    )


@transaction.atomic
def delete_endpoint(endpoint):
    endpoint.delete()


@transaction.atomic
def enable_endpoint(endpoint):
    disabling.enable(endpoint)
