"""Bulk renewal with renewal plans (rules 13, 22): a planned subscription renews with its
plan, the others with the years chosen and their users; the preview says which, and OK
renews exactly what it showed."""

import datetime

import pytest
from dateutil.relativedelta import relativedelta

from subscriptions.models import Subscription
from tests.helpers.html import by_testid, elements, hidden_fields
from tests.helpers.ledger import balance


@pytest.fixture
def selection(alpha, tbox, grant, make_subscription, today):
    grant(alpha, tbox, 100)
    end = today + datetime.timedelta(days=12)
    start = end - relativedelta(years=1) + datetime.timedelta(days=1)
    planned = make_subscription(alpha, tbox, start=start, end=end, users=3)
    plain = make_subscription(alpha, tbox, start=start, end=end, users=4)
    Subscription.objects.filter(pk=planned.pk).update(renewal_users=10, renewal_years=3)
    return planned, plain


def _lines(page):
    return {
        line.attrs["data-subscription-id"]: (
            line.attrs["data-users"], line.attrs["data-years"], line.attrs["data-licenses"],
            line.attrs.get("data-planned"),
        )
        for line in elements(page, lambda tag, attrs: tag == "tr" and "data-licenses" in attrs)
    }


def test_a_planned_subscription_renews_with_its_plan_and_the_preview_says_so(
    browse, partner_user, alpha, tbox, selection
):
    planned, plain = selection
    client = browse(partner_user)
    preview = client.post("/renewals/bulk/",
                          {"subscriptions": [planned.pk, plain.pk], "years": "2"})
    assert _lines(preview) == {
        str(planned.pk): ("10", "3", "30", "1"),
        str(plain.pk): ("4", "2", "8", None),
    }
    assert len(by_testid(preview, "bulk-planned")) == 1
    assert [e.text for e in by_testid(preview, "bulk-debit")] == ["38"]

    assert client.post("/renewals/bulk/",
                       hidden_fields(preview, "bulk-confirm-form")).status_code == 302
    assert balance(alpha, tbox) == 62
    planned.refresh_from_db()
    plain.refresh_from_db()
    assert (planned.users, planned.years, planned.renewal_users) == (10, 3, None)
    assert (plain.users, plain.years) == (4, 2)


def test_a_plan_changed_after_the_preview_renews_nothing(
    browse, partner_user, alpha, tbox, selection
):
    planned, plain = selection
    client = browse(partner_user)
    preview = client.post("/renewals/bulk/",
                          {"subscriptions": [planned.pk, plain.pk], "years": "1"})
    Subscription.objects.filter(pk=planned.pk).update(renewal_users=50, renewal_years=2)
    again = client.post("/renewals/bulk/", hidden_fields(preview, "bulk-confirm-form"))
    assert again.status_code == 200
    assert by_testid(again, "bulk-years-changed")
    assert balance(alpha, tbox) == 100
    # The preview shown again is the new plan's, and its OK renews that.
    assert _lines(again)[str(planned.pk)] == ("50", "2", "100", "1")
