"""portal/settings.py binds parameters on the server on PostgreSQL: the statements a page
runs at every request are prepared on the kept connection and parsed once there; each run
is still planned for its own values."""

import datetime

import pytest
from django.db import connection

from tests.helpers import web

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL prepares"),
]


def _prepared():
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_page_seen_again_reads_through_prepared_statements(
    partner_user, alpha, tbox, grant, make_subscription, today
):
    grant(alpha, tbox, 50)
    subscription = make_subscription(
        alpha, tbox, end=today + datetime.timedelta(days=20), users=3
    )
    browser = web.browser(partner_user)
    for _ in range(6):
        response = browser.get(f"/subscriptions/{subscription.pk}/renew/")
        assert response.status_code == 200
        assert b'data-testid="pool-balance"' in response.content
    prepared = _prepared()
    # The session, then the subscription with its client, organizations and product.
    assert any('FROM "django_session"' in statement for statement in prepared)
    assert any(
        'FROM "subscriptions_subscription" INNER JOIN "subscriptions_client"' in statement
        for statement in prepared
    )


@pytest.mark.django_db
def test_each_run_is_planned_for_its_own_values():
    """A generic plan, made once for any value, suits some values badly (a name search's
    pattern among them): prepared statements are planned again at each run."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone()[0] == "force_custom_plan"
