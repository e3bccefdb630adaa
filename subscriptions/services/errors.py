"""What the services answer when they do not do what was asked, and the limits they check.

Every refusal is raised before anything is written, or inside the transaction that then
rolls back: a caller that catches one knows nothing changed.
"""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal.numbers import figures

MAX_YEARS = 5
MAX_USERS = 100_000
MAX_QUANTITY = 10_000_000


class OperationRefused(Exception):
    """A business rule refused the operation; nothing was changed.

    `field` names the form field the message belongs next to (None: the whole form).
    `details` are whole sentences that follow the message (one per short pool), shown as
    a list on a page and after the message in one text elsewhere.
    `items`: for an operation on several subscriptions, each one refused, as
    {"subscription": id, "code": …, "detail": sentence}.
    """

    def __init__(self, message, *, field=None, code="refused", missing=None, details=(),
                 items=()):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code
        self.missing = missing
        self.details = list(details)
        self.items = list(items)

    @property
    def text(self):
        return " ".join(str(sentence) for sentence in [self.message, *self.details])


class AlreadyDone(Exception):
    """The form's token was used already: the operation happened once, with this result."""

    def __init__(self, result):
        super().__init__("operation already carried out")
        self.result = result


def shortfall_text(*, missing, organization, product, balance, needed):
    """The one sentence for a pool that cannot pay, whichever operation asked it to."""
    return ngettext(
        "Not enough licenses: %(missing)s license is missing in the pool of %(organization)s "
        "for %(product)s (%(balance)s remaining, %(needed)s needed).",
        "Not enough licenses: %(missing)s licenses are missing in the pool of %(organization)s "
        "for %(product)s (%(balance)s remaining, %(needed)s needed).",
        missing,
    ) % figures({
        "missing": missing,
        "organization": organization,
        "product": product,
        "balance": balance,
        "needed": needed,
    })


def check_range(value, *, field, low, high, label):
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise OperationRefused(
            _("%(label)s must be a whole number from %(low)s to %(high)s.")
            % figures({"label": label, "low": low, "high": high}),
            field=field,
            code="out_of_range",
        )


def check_years(years):
    check_range(years, field="years", low=1, high=MAX_YEARS, label=_("The number of years"))


def check_users_years(users, years):
    check_years(years)
    check_range(users, field="users", low=1, high=MAX_USERS, label=_("The number of users"))
