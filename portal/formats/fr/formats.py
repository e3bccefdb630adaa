"""French number format (docs/interface.md, *Numbers*): digits grouped by three with a
narrow no-break space (2 981), as French typography wants, where Django's own French
format uses a wide one. Everything else comes from Django's French formats."""

from django.conf.locale.fr.formats import *  # noqa: F403

THOUSAND_SEPARATOR = "\u202f"
NUMBER_GROUPING = 3
