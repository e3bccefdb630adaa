"""The paginator of the portal's lists: a page's keys first, then its rows."""

import hashlib

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.db.models.sql.where import WhereNode

from ..selectors import CURRENT_END_KEYS_MAX
from ..selectors.figures_cache import cached_figures

# The client list's default order, both ways (the order `name_search_keys` reads).
NAME_ORDERS = (
    ("client_name", "product_name", "pk"),
    ("-client_name", "-product_name", "-pk"),
)


class DeferredRowsPaginator(Paginator):
    """Fetches a page in two steps: its primary keys first, ORDER BY … LIMIT/OFFSET over
    narrow rows, then those rows in full. PostgreSQL computes the select list of every row
    an OFFSET skips, so a deep page (?page=2000) used to run the paying-pool subquery and
    build wide rows 50 000 times to throw them away.

    A table may offer `plain_rows`: the same rows as its queryset, without the status and
    paying pool and their joins (the view sets it when no filter narrows the list). The
    count, and the keys unless the order is by status, are read from it: staff's page
    2 000 then walks the (client_name, product_name, id) index alone. Such a table may also
    offer `current_end_keys` (`selectors.current_end_keys` for its user): the keys of its
    pages in end date order, read off two indexes. A list searched by name alone may offer
    `name_search_keys` (`selectors.searched_name_keys` for its user and text): the keys
    of its pages in the default order, read from the first matching clients by name."""

    def _plain_rows(self):
        return getattr(getattr(self.object_list, "table", None), "plain_rows", None)

    @property
    def count(self):
        if "_count" not in self.__dict__:
            queryset = self._plain_rows()
            if queryset is None:
                queryset = getattr(getattr(self.object_list, "data", None), "data", None)
            if isinstance(queryset, QuerySet) and queryset.query.is_empty():
                self._count = 0
            elif isinstance(queryset, QuerySet):
                # Counting a filtered list classifies every row in scope: the count is
                # kept until the data changes, keyed by its SQL, which holds the scope,
                # the filters and today's date.
                sql, params = queryset.order_by().query.sql_with_params()
                digest = hashlib.sha256(repr((sql, params)).encode()).hexdigest()
                self._count = cached_figures(f"count-{digest}", None, queryset.count)
            else:
                self._count = super().count
        return self._count

    def _key_rows(self, queryset):
        """Where to read the page's keys from: `plain_rows` in the same order, unless the
        order needs an annotation that `plain_rows` lacks (the status)."""
        plain = self._plain_rows()
        if plain is None:
            return queryset
        missing = set(queryset.query.annotations) - set(plain.query.annotations)
        order = queryset.query.order_by
        if not all(isinstance(name, str) and name.lstrip("-") not in missing for name in order):
            return queryset
        return plain.order_by(*order)

    def page(self, number):
        rows = self.object_list
        queryset = getattr(getattr(rows, "data", None), "data", None)
        if not isinstance(queryset, QuerySet) or not hasattr(rows, "table"):
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        keys_by_end = getattr(rows.table, "current_end_keys", None)
        keys_by_name = getattr(rows.table, "name_search_keys", None)
        order = tuple(queryset.query.order_by)
        descending = bool(order) and str(order[0]).startswith("-")
        if (
            keys_by_end is not None
            and order in (("current_end", "pk"), ("-current_end", "-pk"))
            and top <= CURRENT_END_KEYS_MAX
        ):
            keys = keys_by_end(offset=bottom, limit=top - bottom, descending=descending)
        elif keys_by_name is not None and order in NAME_ORDERS:
            keys = keys_by_name(offset=bottom, limit=top - bottom, descending=descending)
        else:
            keys = list(self._key_rows(queryset).values_list("pk", flat=True)[bottom:top])
        found = {record.pk: record for record in _rows_of(queryset, keys)}
        records = [found[key] for key in keys if key in found]
        page_rows = type(rows)(records, table=rows.table, pinned_data=rows.pinned_data)
        return self._get_page(page_rows, number, self)


def _rows_of(queryset, keys):
    """The rows `keys` with `queryset`'s annotations, but not its filters: the keys were
    read from the same queryset, its scope and filters included, so these rows passed them
    already. Filtering again made PostgreSQL evaluate a search's subquery a second time:
    a common name at a million clients matches twenty thousand of them."""
    rows = queryset.order_by()
    rows.query.where = WhereNode()
    return rows.filter(pk__in=keys)
