"""Pages read through their hooks (data-testid, data-status, data-end, form fields...), as
docs/interface.md names them, never through their layout.

Every function takes a test client's response or the page's text.
"""

import re
from collections import namedtuple
from html.parser import HTMLParser

Element = namedtuple("Element", "tag attrs text")
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
             "source", "track", "wbr"}


class _Collector(HTMLParser):
    """Elements whose tag and attributes match, in document order, with their text."""

    def __init__(self, match, within=None):
        super().__init__(convert_charrefs=True)
        self.match = match
        # With `within`, only what stands inside the first element it matches counts.
        self.within = within
        self.scope = "inside" if within is None else "before"
        self.scope_depth = None
        self.depth = 0
        self.open = []
        self.found = []

    def handle_starttag(self, tag, attrs):
        attrs = {name: value if value is not None else "" for name, value in attrs}
        wanted = self.scope == "inside" and self.match(tag, attrs)
        if tag in VOID_TAGS:
            if wanted:
                self.found.append((self.getpos(), Element(tag, attrs, "")))
            return
        self.depth += 1
        if self.scope == "before" and self.within(tag, attrs):
            self.scope, self.scope_depth = "inside", self.depth
        if wanted:
            self.open.append([self.getpos(), tag, self.depth, attrs, []])

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in VOID_TAGS:
            return
        if self.open and self.open[-1][2] == self.depth:
            position, name, _depth, attrs, parts = self.open.pop()
            text = " ".join("".join(parts).split())
            self.found.append((position, Element(name, attrs, text)))
        if self.within is not None and self.scope_depth == self.depth:
            self.scope, self.scope_depth = "after", None
        self.depth -= 1

    def handle_data(self, data):
        for item in self.open:
            item[4].append(data)


def html_of(page):
    """The page's text, from a response or from the text itself."""
    if isinstance(page, str):
        return page
    if isinstance(page, bytes):
        return page.decode()
    return page.content.decode()


def elements(page, match, within=None):
    """The elements for which match(tag, attrs) holds, in document order; with `within`
    (a match of the same kind), only those inside the first element it matches."""
    collector = _Collector(match, within)
    collector.feed(html_of(page))
    assert collector.scope != "before", "no element to look within"
    return [element for _position, element in sorted(collector.found, key=lambda f: f[0])]


def figure(text):
    """The number a hook's text shows, read as docs/interface.md says: without the
    language's group separators (2\u202f981 in French, 2,981 in English; the elements'
    text has its white space, U+202F included, made plain spaces)."""
    return int(text.replace("\u202f", "").replace(" ", "").replace(",", ""))


def by_testid(page, testid):
    return elements(page, lambda tag, attrs: attrs.get("data-testid") == testid)


def having(page, name, value):
    """The elements whose attribute `name` is `value` (data-status="expiring"...)."""
    return elements(page, lambda tag, attrs: attrs.get(name) == value)


def rows(page):
    """The subscription rows (<tr data-subscription-id>) of a list or a record."""
    return elements(page, lambda tag, attrs: tag == "tr" and "data-subscription-id" in attrs)


def row_ids(page):
    """The ids of every element that names a subscription (data-subscription-id), in page
    order: the rows, and anything else that would show one."""
    named = elements(page, lambda tag, attrs: "data-subscription-id" in attrs)
    return [int(element.attrs["data-subscription-id"]) for element in named]


def text_of(page):
    return " ".join(elements(page, lambda tag, attrs: tag == "body")[0].text.split())


def field_has_error(page, name):
    inputs = elements(
        page, lambda tag, attrs: tag in ("input", "select") and attrs.get("name") == name
    )
    return bool(inputs) and "is-invalid" in inputs[0].attrs.get("class", "")


def field_value(page, name):
    """The value of the first field named `name` that has one; None where there is none."""
    fields = elements(page, lambda tag, attrs: attrs.get("name") == name and "value" in attrs)
    return fields[0].attrs["value"] if fields else None


def token_of(page):
    """The one-use form token a page hands out (docs/interface.md); "" where there is none,
    so that posting it tries an empty token, which must be refused."""
    return field_value(page, "token") or ""


def hidden_fields(page, testid):
    """The hidden fields of the form whose data-testid is `testid`, as the test client
    posts them: {name: [value, ...]}."""
    data = {}
    for field in elements(
        page,
        lambda tag, attrs: tag == "input" and attrs.get("type") == "hidden",
        within=lambda tag, attrs: attrs.get("data-testid") == testid,
    ):
        data.setdefault(field.attrs["name"], []).append(field.attrs["value"])
    return data


def options(page, name=None):
    """The choices of the <select name=...> (of the whole page without a name), in order:
    [(value, label, selected)]. An <option> without a value (a disabled note such as "No
    organization matches.") is no choice."""
    within = None
    if name is not None:
        def within(tag, attrs):
            return tag == "select" and attrs.get("name") == name
    return [
        (option.attrs["value"], option.text, "selected" in option.attrs)
        for option in elements(
            page, lambda tag, attrs: tag == "option" and "value" in attrs, within=within
        )
    ]


class _VisibleText(HTMLParser):
    """The text a reader sees: scripts, styles and templates left out, every character
    kept as written (U+202F and U+00A0 included), runs of ASCII white space made one space."""

    HIDDEN = {"script", "style", "template", "noscript"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hidden = 0
        self.parts = []

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden += 1

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible_text(page):
    """The page's visible text (see _VisibleText), for checks of typography and figures."""
    parser = _VisibleText()
    parser.feed(html_of(page))
    return re.sub(r"[ \t\r\n\f\v]+", " ", "".join(parser.parts))
