"""Menus of organizations that stay short however many organizations a user may see.

Publisher staff see every partner and reseller (thousands for a large publisher): a
<select> of them all weighs more than the rest of its page. A capped menu offers the first
`CHOICES_MAX` organizations by name, plus the one chosen (`?reseller=ID` from a link, a
form sent back with an error); validation still uses the whole scoped queryset, so any
organization in scope is accepted by id. When organizations were left out, a search box
above the menu (templates/includes/organization_search.html) reloads its options from
`organization_options`, with htmx; without JavaScript the capped menu works as it is.

Used by the client list's reseller filter, the ledger's organization filter, the
allocation form's reseller and the new-client form's partner and reseller (filtersets.py,
forms.py). The product menus, short by nature, read their choices in one query
(`ListedChoiceIterator`).
"""

from html import escape

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.db.models import F
from django.forms.utils import flatatt
from django.http import HttpResponse, HttpResponseBadRequest
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseClientRedirect

from accounts.models import Organization, Scope
from portal.names import name_contains

CHOICES_MAX = 200
SEARCH_MAX_LENGTH = 100
# An id of more digits cannot exist (bigint): it is not looked up.
ID_MAX_DIGITS = 18


def organization_label(row, with_parent):
    """"Name", or "Name (Partner)" when the menu mixes partners (publisher staff), for a
    `first_by_name` row."""
    if with_parent and row.parent_name is not None:
        return f"{row.name} ({row.parent_name})"
    return row.name


def as_id(value):
    """The value as an id string when it can be one, else None."""
    text = str(value if value is not None else "")
    return text if text.isdigit() and len(text) <= ID_MAX_DIGITS else None


def first_by_name(queryset, selected=None, *, selected_from=None):
    """(rows, more): the first CHOICES_MAX organizations of `queryset` by name, as rows of
    (pk, name, parent_name), then the one whose id is `selected` if it is not among them
    (looked up in `selected_from`, the queryset by default: out of scope, it is left out);
    `more` says whether organizations of `queryset` were left out. Rows, not model
    instances: a staff menu built 400 of those (the organizations and their partners)."""

    def rows(organizations):
        return list(
            organizations.annotate(parent_name=F("parent__name"))
            .values_list("pk", "name", "parent_name", named=True)
        )

    shown = rows(queryset.order_by("name", "pk")[: CHOICES_MAX + 1])
    more = len(shown) > CHOICES_MAX
    shown = shown[:CHOICES_MAX]
    selected = as_id(selected)
    if selected and (more or selected_from is not None):
        if all(str(row.pk) != selected for row in shown):
            source = queryset if selected_from is None else selected_from
            shown += rows(source.filter(pk=selected))
    return shown, more


def option_tags(choices, selected):
    """<option>s of (value, label) pairs; the one whose value is `selected` is selected.
    f-strings and the standard library's escape (Django's, without its lazy-string check
    per call), for menus of hundreds of options."""
    return mark_safe(  # noqa: S308 - every value and label is escaped
        "".join(
            f'<option value="{escape(str(value))}"'
            f'{" selected" if str(value) == selected else ""}>{escape(str(label))}</option>'
            for value, label in choices
        )
    )


class CappedSelect(forms.Select):
    """A <select> written with format strings: hundreds of options through the template
    engine were a large part of the licenses page, which has two such menus. The lists'
    short menus (status, product) use it too: a template per option and per attribute
    cost them more than their query."""

    def render(self, name, value, attrs=None, renderer=None):
        [selected] = self.format_value(value) or [""]
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            option_tags(self.choices, selected),
        )


class ListedChoiceIterator(forms.models.ModelChoiceIterator):
    """The choices of a short menu read like any queryset: Django's iterator() opens a
    server-side cursor on PostgreSQL, three round trips for the two products."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for row in self.queryset:
            yield self.choice(row)


class CappedChoiceIterator(forms.models.ModelChoiceIterator):
    """The choices of a capped field: empty (and null) choice, then `first_by_name`."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        null_label = getattr(self.field, "null_label", None)
        if null_label is not None:
            yield (self.field.null_value, null_label)
        shown, self.field.more_than_shown = first_by_name(self.queryset, self.field.selected_pk)
        for row in shown:
            yield (row.pk, organization_label(row, self.field.with_parent))

    def __len__(self):
        return len(list(iter(self)))


class CappedChoiceMixin:
    """For a ModelChoiceField of organizations (Django's or django-filter's).

    `selected_pk`: the chosen id, kept in the menu beyond the cap (`show_selected` sets it
    from the form). `more_than_shown`: set while the menu is rendered; the templates
    render the menu first and show the search box above it only then. `with_parent`:
    labels name the partner too.
    `search_kind`: what the search looks for (`partner`, `reseller` or `any`).
    """

    iterator = CappedChoiceIterator
    widget = CappedSelect
    selected_pk = None
    more_than_shown = False
    with_parent = False

    def __init__(self, *args, search_kind="any", **kwargs):
        self.search_kind = search_kind
        super().__init__(*args, **kwargs)


def show_selected(form, *, with_parent):
    """Tells each capped field of `form` the id it holds and how to label its choices."""
    for name, field in form.fields.items():
        if isinstance(field, CappedChoiceMixin):
            field.selected_pk = as_id(form[name].value())
            field.with_parent = with_parent


SEARCH_KINDS = {"partner", "reseller", "any"}


@require_GET
def organization_options(request):
    """The <option>s of a capped menu whose names contain `q`: in the user's scope, the
    first CHOICES_MAX by name; `kind=reseller` or `partner` for those only; the one chosen
    (`selected`, or the menu's own field `reseller`, `partner` or `organization`) stays chosen;
    `empty` is the label of a first, empty option.

    Login required. A search from a page whose session has expired sends the whole page
    to the login (htmx would otherwise put the login page inside the menu)."""
    if not request.user.is_authenticated:
        if request.htmx:
            page = request.htmx.current_url_abs_path or "/"
            return HttpResponseClientRedirect(redirect_to_login(page)["Location"])
        return redirect_to_login(request.get_full_path())
    kind = request.GET.get("kind", "any")
    if kind not in SEARCH_KINDS:
        return HttpResponseBadRequest()
    scoped = Organization.objects.visible_to(request.user)
    if kind == "reseller":
        scoped = scoped.resellers()
    elif kind == "partner":
        scoped = scoped.partners()
    query = request.GET.get("q", "").strip()[:SEARCH_MAX_LENGTH]
    matching = scoped.filter(name_contains("name", query)) if query else scoped
    selected = as_id(
        request.GET.get("selected")
        or request.GET.get("reseller")
        or request.GET.get("partner")
        or request.GET.get("organization")
    )
    shown, more = first_by_name(matching, selected, selected_from=scoped)
    with_parent = Scope.for_user(request.user).everything
    parts = []
    empty = request.GET.get("empty")
    if empty is not None:
        parts.append(format_html('<option value="">{}</option>', empty[:SEARCH_MAX_LENGTH]))
    parts.append(
        option_tags(
            ((row.pk, organization_label(row, with_parent)) for row in shown),
            selected,
        )
    )
    if not shown:
        parts.append(format_html("<option disabled>{}</option>", _("No organization matches.")))
    elif more:
        parts.append(
            format_html(
                "<option disabled>{}</option>",
                _("More organizations match: type more of the name."),
            )
        )
    return HttpResponse("".join(parts))
