import gc
import os

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
