"""The outbox (docs/webhooks.md): the services of subscriptions call `record` inside the
transaction of their change, one line per place, so an event exists exactly when its
change was committed.

`record` costs one indexed SELECT when no enabled endpoint of the organizations concerned
wants the event, which is the common case; otherwise a fixed handful of statements
whatever the number of endpoints (bulk INSERTs, and one queued task per few deliveries).
"""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import F, Q
from django.utils import timezone

from .. import queue
from ..events import EventType
from ..models import Delivery, Endpoint, Event
from . import pools


def endpoints_in(organizations):
    """(id, organization id, events) of the enabled endpoints of the organizations (a Q
    on the endpoint's organization_id)."""
    return list(Endpoint.objects.filter(organizations, enabled=True).values_list(
        "pk", "organization_id", "events"
    ))


def any_endpoint_sql(*organization_columns):
    """SQL, true when an enabled endpoint belongs to the organization of one of these
    columns: a statement that reads the subscription anyway tells with it whether `record`
    has anything to do (a renewal's lock), saving `record`'s own query when nobody listens,
    which is the common case."""
    return (
        f"EXISTS (SELECT 1 FROM {Endpoint._meta.db_table} endpoint WHERE endpoint.enabled "
        f"AND endpoint.organization_id IN ({', '.join(organization_columns)}))"
    )


def wanting(event_type, endpoints):
    """{organization id: [endpoint id, …]} of the `endpoints` that want the event."""
    found = {}
    for pk, organization_id, events in endpoints:
        if event_type in events:
            found.setdefault(organization_id, []).append(pk)
    return found


def _body(event_type, now, data):
    return json.dumps(
        {"type": event_type, "timestamp": now.isoformat(), "data": data},
        cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"),
    )


def write(event_type, items, wanted, *, pool_id=None):
    """items: (paying organization id, partner id, data) per event to write; `wanted`:
    `wanting`'s answer."""
    now = timezone.now()
    events, targets = [], []
    for organization_id, partner_id, data in items:
        # A partner's endpoints receive its resellers' events; a reseller's only its own.
        endpoints = wanted.get(organization_id, []) + (
            wanted.get(partner_id, []) if partner_id != organization_id else []
        )
        if not endpoints:
            continue
        events.append(Event(
            message_id=Event.new_message_id(), type=event_type,
            organization_id=organization_id, partner_id=partner_id,
            body=_body(event_type, now, data), created_at=now, pool_id=pool_id,
        ))
        targets.append(endpoints)
    if not events:
        return []
    events = Event.objects.bulk_create(events)
    deliveries = Delivery.objects.bulk_create([
        Delivery(endpoint_id=endpoint_id, event=event, next_attempt_at=now, created_at=now)
        for event, endpoints in zip(events, targets, strict=True)
        for endpoint_id in endpoints
    ])
    queue.send([delivery.pk for delivery in deliveries])
    return events


def record(event_type, subscriptions, details=None, each=None):
    """Records `event_type` for each of `subscriptions` (instances or ids), and `pool.low`
    for a pool the change left short (pools.record_low).
    `details`: extra data for every event; `each`: {subscription id: extra data}."""
    from subscriptions.models import Subscription

    ids = [getattr(subscription, "pk", subscription) for subscription in subscriptions]
    scoped = Subscription.objects.filter(pk__in=ids)
    # One query: the endpoints of the subscriptions' partners and resellers.
    endpoints = endpoints_in(
        Q(organization_id__in=scoped.values("client_partner_id"))
        | Q(organization_id__in=scoped.values("client_reseller_id"))
    )
    wanted, wanted_low = wanting(event_type, endpoints), wanting(EventType.POOL_LOW, endpoints)
    if not wanted and not (wanted_low and event_type in pools.SPENDING):
        return []
    rows = list(scoped.values(
        "pk", "client_id", "client_name", "client_partner_id", "client_reseller_id",
        "product_id", "term_end", "users", "years",
        product_code=F("product__code"), partner_name=F("client_partner__name"),
        reseller_name=F("client_reseller__name"),
    ).order_by("pk"))
    items = []
    for row in rows:
        paying_id = row["client_reseller_id"] or row["client_partner_id"]
        extra = {**(details or {}), **(each or {}).get(row["pk"], {})}
        items.append((paying_id, row["client_partner_id"], {
            "subscription_id": row["pk"], "client_id": row["client_id"],
            "client": row["client_name"], "product": row["product_code"],
            "organization_id": paying_id,
            "organization": row["reseller_name"] or row["partner_name"],
            "partner_id": row["client_partner_id"],
            "term_end": row["term_end"], "users": row["users"], "years": row["years"],
            **extra,
        }))
    events = write(event_type, items, wanted) if wanted else []
    if wanted_low and event_type in pools.SPENDING:
        pools.record_low(
            {(item[0], row["product_id"]) for item, row in zip(items, rows, strict=True)},
            wanted_low,
        )
    return events
