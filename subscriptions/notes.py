"""Ledger notes the portal writes itself, shown in the reader's language.

A ledger line is written once, in whatever language its author used, and read later by
others: the portal stores its own notes in English, as the msgids below, and translates
them when they are shown. Notes people typed (a grant's, an allocation's) are shown as
they were written. Lines written before this stored the French text: it is recognized
too."""

import re

from django.utils.translation import gettext, gettext_noop, ngettext

from portal.numbers import figures

BULK_RENEWAL = gettext_noop("Bulk renewal")
RENEWAL_CANCELLED = gettext_noop("Renewal cancelled")
ADDON_CANCELLED = gettext_noop("Users added cancelled")
COTERM_CANCELLED = gettext_noop("Co-terming cancelled")
DEMO_DATA = gettext_noop("Demo data")
AUTO_RENEWAL = gettext_noop("Automatic renewal")
SYSTEM_NOTES = {
    AUTO_RENEWAL: AUTO_RENEWAL,
    BULK_RENEWAL: BULK_RENEWAL,
    RENEWAL_CANCELLED: RENEWAL_CANCELLED,
    ADDON_CANCELLED: ADDON_CANCELLED,
    COTERM_CANCELLED: COTERM_CANCELLED,
    DEMO_DATA: DEMO_DATA,
    "Renouvellement groupé": BULK_RENEWAL,
    "Renouvellement annulé": RENEWAL_CANCELLED,
}

# What import_subscriptions writes (services/client_import.py), an operator's note after.
IMPORT_LINE = re.compile(r"import line (?P<line>\d+)(?: (?P<rest>.*))?\Z", re.S)
IMPORT_NOT_DEBITED = re.compile(
    r"import without debit \(--no-debit\): (?P<subscriptions>\d+) already-paid "
    r"subscriptions worth (?P<licenses>\d+) licenses, not debited\.(?: (?P<rest>.*))?\Z",
    re.S,
)


def import_line_note(line, note=""):
    return " ".join(filter(None, [f"import line {line}", note]))


def import_not_debited_note(subscriptions, licenses, note=""):
    return (
        f"import without debit (--no-debit): {subscriptions} already-paid "
        f"subscriptions worth {licenses} licenses, not debited. {note}"
    ).strip()


def _with_rest(text, rest):
    return f"{text} {rest}" if rest else text


def note_text(note):
    """The note of a ledger line in the active language."""
    if not note:
        return note
    if note in SYSTEM_NOTES:
        return gettext(SYSTEM_NOTES[note])
    found = IMPORT_LINE.match(note)
    if found:
        text = gettext("Import, line %(line)s.") % {"line": found["line"]}
        return _with_rest(text, found["rest"])
    found = IMPORT_NOT_DEBITED.match(note)
    if found:
        subscriptions = int(found["subscriptions"])
        text = ngettext(
            "Import without debit: %(subscriptions)s subscription already paid, worth "
            "%(licenses)s licenses, not debited.",
            "Import without debit: %(subscriptions)s subscriptions already paid, worth "
            "%(licenses)s licenses, not debited.",
            subscriptions,
        ) % figures({"subscriptions": subscriptions, "licenses": int(found["licenses"])})
        return _with_rest(text, found["rest"])
    return note
