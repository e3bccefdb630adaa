"""`seed_demo` itself: the fixed cast, then the generated clients it is asked for."""

from django.conf import settings

from .base import Calendar, SeedReport
from .bulk import refresh_planner_statistics
from .cast import seed_base
from .generated import seed_generated


def seed(*, clients=0, seed=None, force=False):
    report = SeedReport()
    with_users = bool(settings.DEBUG or force)
    calendar = Calendar.now()
    organizations, products = seed_base(with_users=with_users, report=report, calendar=calendar)
    if clients:
        seed_generated(
            count=clients, seed=seed, organizations=organizations, products=products,
            report=report, calendar=calendar,
        )
        refresh_planner_statistics()
    return report
