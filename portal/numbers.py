"""Figures inside sentences, written the page's way (2 981 in French, 2,981 in English:
portal/formats/). Messages take their figures as %(name)s for that reason; ngettext still
chooses the plural on the number itself."""

from django.utils import formats


def figure(number):
    return formats.localize(number)


def figures(values):
    """`values` with every whole number written the page's way, for `message % values`."""
    return {
        name: figure(value) if isinstance(value, int) and not isinstance(value, bool) else value
        for name, value in values.items()
    }
