"""The figures cache lives in the selectors (selectors/figures_cache.py); this name stays
for the importers of the old path (subscriptions/tables.py)."""

from .selectors.figures_cache import cached_figures, data_snapshot, scope_key

__all__ = ["cached_figures", "data_snapshot", "scope_key"]
