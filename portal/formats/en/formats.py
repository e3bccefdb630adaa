"""English number format (docs/interface.md, *Numbers*): digits grouped by three with a
comma (2,981). Everything else comes from Django's English formats."""

from django.conf.locale.en.formats import *  # noqa: F403

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
