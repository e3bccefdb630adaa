"""The French catalogue: complete, compiled, and faithful to the user documentation.

The product speaks French first (LANGUAGE_CODE = "fr") and every msgid is English, so an
untranslated or fuzzy entry (Django ignores fuzzy ones) shows English to French users.
The .po is read with the small parser below: no third-party library at test time.
"""

import datetime
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client as HttpClient
from django.utils import translation

LC_MESSAGES = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES"
PO_PATH = LC_MESSAGES / "django.po"
MO_PATH = LC_MESSAGES / "django.mo"

# The column titles and labels of the French user documentation, and what users were told.
CONTRACTUAL = {
    "Client name": "Nom client",
    "Subscription": "Abonnement",
    "Reseller name": "Nom revendeur",
    "Start date": "Date de début",
    "End date": "Date de fin",
    "Duration (years)": "Durée (en année)",
    "To renew": "À renouveler",
    "Renew": "Renouveler",
    "See": "Voir",
    "Number of companies to renew": "Nombre de sociétés à renouveler",
    "Number of years of renewal": "Nombre d’années de renouvellement",
    "Licenses remaining after renewal": "Licences restantes après réabonnement",
    "OK": "OK",
    "Dashboard": "Tableau de bord",
    "Client list": "Liste des clients",
    "Clients to renew": "Clients à renouveler",
    "New client": "Nouveau client",
    "Licenses": "Licences",
}
CONTRACTUAL_FORMATS = {
    "Licenses remaining to allocate by %(organization)s": (
        {"organization": "Alpha Distribution"},
        "Licences restantes à attribuer par Alpha Distribution",
    ),
    "User licenses assigned to %(client)s": (
        {"client": "Société 001"},
        "Licences utilisateurs affectées à Société 001",
    ),
}
# Contractual only once the string exists in the code.
CONTRACTUAL_IF_PRESENT = {"Client record": "Fiche client"}

STATUSES = {
    "Active": "Actif",
    "Expiring": "Expire bientôt",
    "Expired": "Expiré",
    "Not started": "Pas encore commencé",
    "Renewed": "Renouvelé",
}


# --- a tiny .po reader ------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: str = ""
    msgstr_plural: dict = field(default_factory=dict)
    flags: set = field(default_factory=set)
    line: int = 0

    @property
    def translations(self):
        if self.msgid_plural is not None:
            return [self.msgstr_plural.get(i, "") for i in range(max(2, len(self.msgstr_plural)))]
        return [self.msgstr]

    def __str__(self):
        return f"line {self.line}: {self.msgid!r}"


_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    '"': '"',
    "\\": "\\",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
}


def _unquote(text):
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), text
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), text[1:-1])


def parse_po(path):
    """The entries of a .po file (obsolete `#~` entries left out); the header is the
    entry whose msgid is empty."""
    entries, current, target, has_msgstr = [], None, None, False
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith('"'):
            assert current is not None and target is not None, f"{path}:{number}: {raw!r}"
            if target[0] == "msgstr_plural":
                current.msgstr_plural[target[1]] += _unquote(line)
            else:
                setattr(current, target[0], getattr(current, target[0]) + _unquote(line))
            continue
        keyword, _, rest = line.partition(" ")
        starts_entry = line.startswith("#") or keyword in ("msgctxt", "msgid")
        if current is None or (starts_entry and has_msgstr):
            if current is not None:
                entries.append(current)
            current, target, has_msgstr = Entry(line=number), None, False
        if line.startswith("#"):
            if line.startswith("#,"):
                current.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
        if match:
            target = ("msgstr_plural", int(match.group(1)))
            current.msgstr_plural[target[1]] = _unquote(rest)
            has_msgstr = True
        elif keyword in ("msgctxt", "msgid", "msgid_plural", "msgstr"):
            target = (keyword,)
            setattr(current, keyword, _unquote(rest))
            has_msgstr = has_msgstr or keyword == "msgstr"
        else:
            raise AssertionError(f"{path}:{number}: cannot read {raw!r}")
    if current is not None:
        entries.append(current)
    return entries


@pytest.fixture(scope="module")
def po_entries():
    entries = parse_po(PO_PATH)
    assert entries, f"{PO_PATH} holds no entry"
    return entries


@pytest.fixture(scope="module")
def header(po_entries):
    [entry] = [e for e in po_entries if e.msgid == "" and e.msgctxt is None]
    return entry


@pytest.fixture(scope="module")
def messages(po_entries):
    return [e for e in po_entries if not (e.msgid == "" and e.msgctxt is None)]


# --- (1) the .po is complete ------------------------------------------------------------


def test_parser_reads_the_whole_catalogue(messages):
    text = PO_PATH.read_text(encoding="utf-8")
    active_msgids = len(re.findall(r"^msgid ", text, flags=re.MULTILINE)) - 1  # the header
    assert len(messages) == active_msgids
    assert len({(e.msgctxt, e.msgid) for e in messages}) == len(messages)


def test_header_is_french_utf8_and_not_fuzzy(header):
    assert "fuzzy" not in header.flags
    assert "Language: fr\n" in header.msgstr
    assert "charset=UTF-8" in header.msgstr
    assert "Plural-Forms: nplurals=2; plural=(n > 1);" in header.msgstr


def test_every_msgid_is_translated(messages):
    untranslated = [str(e) for e in messages if not all(t.strip() for t in e.translations)]
    assert not untranslated, "untranslated:\n" + "\n".join(untranslated)


def test_no_entry_is_fuzzy(messages):
    fuzzy = [str(e) for e in messages if "fuzzy" in e.flags]
    assert not fuzzy, "fuzzy (Django ignores them):\n" + "\n".join(fuzzy)


def test_plural_entries_have_both_french_forms(messages):
    for entry in messages:
        if entry.msgid_plural is not None:
            assert sorted(entry.msgstr_plural) == [0, 1], entry


PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|%%")


def _placeholders(text):
    return sorted(m.group(0) for m in PLACEHOLDER.finditer(text))


def test_placeholders_are_kept(messages):
    wrong = []
    for entry in messages:
        expected = _placeholders(entry.msgid)
        if entry.msgid_plural is not None:
            expected_plural = _placeholders(entry.msgid_plural)
            # msgstr[0] (n = 0 or 1) may drop the count, like the English singular may.
            if _placeholders(entry.msgstr_plural.get(1, "")) != expected_plural:
                wrong.append(str(entry))
            if not set(_placeholders(entry.msgstr_plural.get(0, ""))) <= set(expected_plural):
                wrong.append(str(entry))
        elif _placeholders(entry.msgstr) != expected:
            wrong.append(str(entry))
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


# French typography (docs/interface.md, *French text*): a typographic apostrophe, and a
# no-break space before the high punctuation, U+00A0 before a colon, U+202F (or U+00A0)
# before ; ! ?. Code the message quotes is written as the program reads it.
CODE_SAMPLES = (
    "client;reseller;product;users;start_date;end_date",
    "Authorization: Token",
)
NOT_PROSE = re.compile(
    r"[a-z][a-z0-9+.-]*://\S*"  # an address
    r"|%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[a-zA-Z][:;!?]*(?=%\()"  # 10:30, 3:4 from placeholders
    r"|::"
)
SPACE_BEFORE = {":": "\u00a0", ";": "\u00a0\u202f", "!": "\u00a0\u202f", "?": "\u00a0\u202f"}


def _prose(text):
    for sample in CODE_SAMPLES:
        text = text.replace(sample, "")
    return NOT_PROSE.sub("", text)


def _typography_faults(text):
    prose = _prose(text)
    faults = [
        f"straight apostrophe in {m.group(0)!r}" for m in re.finditer(r".{0,15}'.{0,15}", prose)
    ]
    for match in re.finditer(r"[:;!?]", prose):
        before = prose[match.start() - 1] if match.start() else ""
        if before not in SPACE_BEFORE[match.group(0)]:
            context = prose[max(0, match.start() - 15) : match.end() + 10]
            faults.append(f"{before!r} before {match.group(0)!r} in {context!r}")
    return faults


@pytest.mark.parametrize(
    ("text", "faulty"),
    [
        ("Licences restantes\u00a0: 3", False),
        ("Vraiment\u202f? Oui\u00a0! Non\u202f; peut-être.", False),
        ("l’abonnement", False),
        ("Voir https://example.com/a?b=1 ou http://x.fr", False),
        ("À %(hours)s:%(minutes)s le %(day)s", False),
        ("l'abonnement", True),
        ("Licences restantes : 3", True),
        ("Licences restantes: 3", True),
        ("Licences restantes\u202f: 3", True),
        ("Vraiment ?", True),
        ("Vraiment?", True),
        ("Fini !", True),
        ("un\n; deux", True),
    ],
)
def test_the_typography_check_tells_prose_from_code(text, faulty):
    assert bool(_typography_faults(text)) is faulty, _typography_faults(text)


def test_french_messages_follow_french_typography(messages):
    faults = [
        f"{entry}: {fault}"
        for entry in messages
        for text in entry.translations
        for fault in _typography_faults(text)
    ]
    assert not faults, "French typography:\n" + "\n".join(faults)


# --- (2) the .mo is compiled from this .po ----------------------------------------------


def test_mo_matches_the_po(messages):
    assert MO_PATH.exists(), "run: python manage.py compilemessages --ignore=.venv"
    with MO_PATH.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in messages:
        if entry.msgid_plural is not None:
            for n, index in ((1, 0), (2, 1)):
                got = (
                    compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
                    if entry.msgctxt is not None
                    else compiled.ngettext(entry.msgid, entry.msgid_plural, n)
                )
                if got != entry.msgstr_plural.get(index):
                    stale.append(f"{entry} [{index}]: {got!r}")
        else:
            got = (
                compiled.pgettext(entry.msgctxt, entry.msgid)
                if entry.msgctxt is not None
                else compiled.gettext(entry.msgid)
            )
            if got != entry.msgstr:
                stale.append(f"{entry}: {got!r}")
    assert not stale, "django.mo is older than django.po, run compilemessages:\n" + "\n".join(stale)


def test_mo_plural_rule_is_french():
    with MO_PATH.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    assert [compiled.plural(n) for n in (0, 1, 2, 10)] == [0, 0, 1, 1]


# --- (3) Django serves the contractual French -------------------------------------------


@pytest.mark.parametrize(("english", "french"), sorted({**CONTRACTUAL, **STATUSES}.items()))
def test_contractual_translations(english, french):
    with translation.override("fr"):
        assert translation.gettext(english) == french


@pytest.mark.parametrize("english", sorted(CONTRACTUAL_FORMATS))
def test_contractual_translations_with_placeholders(english):
    values, french = CONTRACTUAL_FORMATS[english]
    with translation.override("fr"):
        assert translation.gettext(english) % values == french


@pytest.mark.parametrize(("english", "french"), sorted(CONTRACTUAL_IF_PRESENT.items()))
def test_contractual_translations_once_present(english, french, messages):
    if english not in {e.msgid for e in messages}:
        pytest.skip(f"{english!r} is not in the code yet")
    with translation.override("fr"):
        assert translation.gettext(english) == french


def test_french_plurals_at_runtime():
    singular = "%(quantity)s %(product)s license given to %(reseller)s."
    plural = "%(quantity)s %(product)s licenses given to %(reseller)s."
    values = {"product": "TBox", "reseller": "Alpha Revente"}
    with translation.override("fr"):
        assert translation.ngettext(singular, plural, 1) % {**values, "quantity": 1} == (
            "1 licence TBox attribuée à Alpha Revente."
        )
        assert translation.ngettext(singular, plural, 3) % {**values, "quantity": 3} == (
            "3 licences TBox attribuées à Alpha Revente."
        )


# --- the screens, in French by default --------------------------------------------------


@pytest.fixture
def french_browser(db, settings):
    settings.SECURE_SSL_REDIRECT = False

    def _browse(user):
        client = HttpClient(headers={"accept-language": "fr"})
        client.force_login(user)
        return client

    return _browse


def test_dashboard_speaks_french(french_browser, partner_user):
    html = french_browser(partner_user).get("/").content.decode()
    for text in (
        "Tableau de bord",
        "Nombre de sociétés à renouveler",
        ">Voir<",
        "Liste des clients",
        "Clients à renouveler",
        "Nouveau client",
    ):
        assert text in html, text


def test_the_ledger_filters_agree_all_with_their_noun_in_french(french_browser, partner_user):
    page = french_browser(partner_user).get("/licenses/").content.decode()
    html = re.search(r'<form[^>]*class="[^"]*filter-form.*?</form>', page, re.S).group(0)

    def empty_choice(name):
        select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
        assert select, name
        return re.search(r'<option value=""[^>]*>([^<]*)</option>', select.group(1)).group(1)

    assert empty_choice("organization") == "Toutes"
    assert empty_choice("product") == "Tous"
    assert empty_choice("kind") == "Tous"


def test_renewals_list_uses_the_documented_column_titles(
    french_browser, partner_user, alpha, tbox, make_subscription, today
):
    make_subscription(alpha, tbox, end=today + datetime.timedelta(days=10), name="Bientôt SA")
    html = french_browser(partner_user).get("/renewals/").content.decode()
    for text in (
        "Nom client",
        "Abonnement",
        "Nom revendeur",
        "Date de début",
        "Date de fin",
        "Durée (en année)",
        "À renouveler",
        "Renouveler",
        "Expire bientôt",
    ):
        assert text in html, text
