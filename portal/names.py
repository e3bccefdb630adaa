"""Finding and sorting names as a French reader expects, on PostgreSQL and SQLite alike
(docs/interface.md, "Lists"): a search ignores case and accents (`ecole` finds
*Auto-École Garcia*), and names sort in French alphabetical order (*Bâtiment* before
*Bureau*, *Écluse* among the E).

Two database objects carry this, under the same names on both databases, so that the
queries and the models are the same:

- `portal_fold(text)`, the text without accents, in lower case. On PostgreSQL an
  IMMUTABLE SQL function over the `unaccent` extension (migration accounts 0003), so an
  index or a generated column can be built on it (the clients' `name_folded`); on SQLite
  the function `fold` below, registered on every connection.
- the collation `french` of the name columns (`db_collation`). On PostgreSQL an ICU
  collation for French (same migration); on SQLite `compare` below, registered on every
  connection. SQLite looks it up whenever it compares those columns: a connection made
  without this module (the `sqlite3` shell) cannot sort them.
"""

import functools
import unicodedata

from django.db.backends.signals import connection_created
from django.db.models import BooleanField, CharField, Expression, F, Func, Subquery, Value
from django.db.models.lookups import Contains

COLLATION = "french"
FOLD_FUNCTION = "portal_fold"

# Letters that NFD does not split into a letter and an accent, rewritten as PostgreSQL's
# unaccent rewrites them, so that both databases find the same names.
_LIGATURES = str.maketrans(
    {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L",
     "đ": "d", "Đ": "D"}
)

# French dictionaries order a letter's accents so: e, é, è, ê, ë (ICU's order too).
_ACCENT_RANK = {"\u0301": 1, "\u0300": 2, "\u0306": 3, "\u0302": 4, "\u0308": 5, "\u0327": 6}


def fold(text):
    """The text without accents and in lower case, as PostgreSQL's `portal_fold`."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFD", text.translate(_LIGATURES))
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


@functools.lru_cache(maxsize=65536)
def sort_key(text):
    """French alphabetical order: letters first, accents ignored; among names that differ
    only by accents, the first letter whose accents differ decides (*coté* before *côte*,
    whose second letter has one); then lower case first; then the text itself, so that
    two different names never compare equal."""
    accents = []
    for char in unicodedata.normalize("NFD", text.translate(_LIGATURES)):
        if unicodedata.combining(char):
            if accents:
                accents[-1] += (_ACCENT_RANK.get(char, ord(char)),)
        else:
            accents.append(())
    return (fold(text), tuple(accents), text.swapcase(), text)


def compare(left, right):
    """The SQLite collation: -1, 0 or 1 as `sort_key` orders the two names."""
    left_key, right_key = sort_key(left), sort_key(right)
    return (left_key > right_key) - (left_key < right_key)


def register_on_sqlite(sender, connection, **kwargs):
    if connection.vendor != "sqlite":
        return
    raw = connection.connection
    raw.create_function(FOLD_FUNCTION, 1, fold, deterministic=True)
    raw.create_collation(COLLATION, compare)


connection_created.connect(register_on_sqlite, dispatch_uid="portal.names.register_on_sqlite")


class Folded(Func):
    """`portal_fold(expression)`: what the name indexes of the search hold."""

    function = FOLD_FUNCTION
    output_field = CharField()


def name_contains(field, text):
    """A filter: `field` contains `text`, case and accents ignored. Both sides are folded
    by the database, so the search agrees with the index on `portal_fold(name)`."""
    return Contains(Folded(field), Folded(Value(text)))


class InSubquery(Expression):
    """`expression IN (subquery)`, written on PostgreSQL as `= ANY(ARRAY(subquery))`: the
    subquery then runs once, before the rest (the names matching a search, through their
    trigram index), and the rows are looked up by index among its results. As a plain IN
    the planner walks the list in name order and folds every name it passes until it has
    a page of matches: fast for a common word, slow for a rare one."""

    output_field = BooleanField()

    def __init__(self, expression, queryset):
        super().__init__()
        self.expression, self.subquery = expression, Subquery(queryset)

    def get_source_expressions(self):
        return [self.expression, self.subquery]

    def set_source_expressions(self, expressions):
        self.expression, self.subquery = expressions

    def as_sql(self, compiler, connection):
        lhs, lhs_params = compiler.compile(self.expression)
        rhs, rhs_params = compiler.compile(self.subquery)
        template = "%s = ANY(ARRAY%s)" if connection.vendor == "postgresql" else "%s IN %s"
        return template % (lhs, rhs), (*lhs_params, *rhs_params)


def folded_contains(field, text):
    """A filter: `field`, a column that holds a name already folded (the clients'
    `name_folded`), contains `text`, case and accents ignored."""
    return Contains(F(field), Folded(Value(text)))


def related_name_contains(foreign_key, model, text):
    """A filter: the `model` row that `foreign_key` points to has a name containing `text`,
    case and accents ignored (the clients' search of the lists, on their `name_folded`)."""
    # Unordered: the model's own order (the clients' by name) would sort every match.
    matching = model.objects.filter(folded_contains("name_folded", text)).order_by()
    return InSubquery(F(foreign_key), matching.values("pk"))
