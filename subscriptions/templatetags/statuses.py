"""A subscription's status (rule 6) as the screens show it: `{{ status|status_badge }}`.

The badge is the lists' own (tables.status_badge): a page that only shows statuses, as
the dashboard, loads it here rather than importing the lists."""

from django import template

from ..tables import status_badge as _status_badge

register = template.Library()


@register.filter
def status_badge(status):
    return _status_badge(status)
