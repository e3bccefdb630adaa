import gc
import itertools
import os

from django.core.signals import request_finished
from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()

# Django, the apps and every module the URLconf imports live as long as the worker. Left in
# the collector's oldest generation, each full collection walked them all again: a pause
# of up to a hundred milliseconds every thirty-odd list pages, the pages' p95. Frozen
# after loading, they are never walked; what requests leave behind still is.
get_resolver().url_patterns  # noqa: B018 - imports the views before the freeze
gc.collect()
gc.freeze()

# What requests leave behind in cycles still reaches the oldest generation, and a full
# collection of it, started by the collector in the middle of a request, stalled that
# request. The young generations are still collected as the collector decides; the
# oldest one only after a response has been sent (Django closes the response, which
# sends `request_finished`, once the server has written it), every FULL_EVERY requests.
FULL_EVERY = 50
_YOUNG, _MIDDLE, _OLD = gc.get_threshold()
gc.set_threshold(_YOUNG, _MIDDLE, 2**31 - 1)
_finished = itertools.count(1)


def _collect_after_response(**kwargs):
    if next(_finished) % FULL_EVERY == 0:
        gc.collect()


request_finished.connect(_collect_after_response, dispatch_uid="portal.wsgi.collect")
