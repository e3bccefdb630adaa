"""PATCH of a subscription's renewal plan and auto-renew (rules 22, 23; docs/api.md):
managers only, scoped, bad figures as problem details, nothing changed."""

import datetime

from subscriptions.dates import local_today
from subscriptions.models import Subscription


def patch(client, subscription, body):
    return client.patch(f"/api/v1/subscriptions/{subscription.pk}/", body, format="json")


def test_a_manager_sets_and_clears_the_plan(partner_user, alpha, tbox, expiring, api_for):
    subscription = expiring(alpha, tbox, users=5)
    client = api_for(partner_user)
    body = patch(client, subscription, {"auto_renew": True, "renewal_users": 8,
                                        "renewal_years": 2}).json()
    assert (body["auto_renew"], body["renewal_users"], body["renewal_years"]) == (True, 8, 2)
    # A field left out keeps its value.
    body = patch(client, subscription, {"renewal_users": 9}).json()
    assert (body["auto_renew"], body["renewal_users"], body["renewal_years"]) == (True, 9, 2)
    body = patch(client, subscription, {"renewal_users": None, "renewal_years": None,
                                        "auto_renew": False}).json()
    assert (body["auto_renew"], body["renewal_users"], body["renewal_years"]) == (
        False, None, None)
    listed = client.get("/api/v1/subscriptions/").json()["results"][0]
    assert (listed["auto_renew"], listed["renewal_users"]) == (False, None)


def test_bad_figures_are_problem_details_and_change_nothing(
    partner_user, alpha, tbox, expiring, api_for
):
    subscription = expiring(alpha, tbox, users=5)
    client = api_for(partner_user)
    for body, field in (
        ({"renewal_users": 5, "renewal_years": 6}, "renewal_years"),
        ({"renewal_users": 0, "renewal_years": 1}, "renewal_users"),
        ({"renewal_users": 100_001, "renewal_years": 1}, "renewal_users"),
        ({"renewal_users": 5}, "renewal_years"),
        ({"auto_renew": "maybe"}, "auto_renew"),
    ):
        response = patch(client, subscription, body)
        assert response.status_code == 400, body
        assert response["Content-Type"].startswith("application/problem+json")
        assert field in response.content.decode(), body
    subscription.refresh_from_db()
    assert (subscription.auto_renew, subscription.renewal_users) == (False, None)


def test_read_only_gets_403_and_another_tenant_404(
    viewer_user, other_partner_user, alpha, tbox, expiring, api_for
):
    subscription = expiring(alpha, tbox)
    assert patch(api_for(viewer_user), subscription, {"auto_renew": True}).status_code == 403
    assert patch(api_for(other_partner_user), subscription,
                 {"auto_renew": True}).status_code == 404
    assert not Subscription.objects.get(pk=subscription.pk).auto_renew


def test_next_automatic_renewal_says_when_and_for_how_much(
    partner_user, alpha, tbox, expiring, api_for, settings
):
    """Rules 22 and 23: null unless auto-renewing; then the day the daily run renews it
    (AUTO_RENEW_LEAD_DAYS before the end, today once due) and what it renews for."""
    settings.AUTO_RENEW_LEAD_DAYS = 7
    subscription = expiring(alpha, tbox, users=5)
    client = api_for(partner_user)
    url = f"/api/v1/subscriptions/{subscription.pk}/"
    assert client.get(url).json()["next_automatic_renewal"] is None

    body = patch(client, subscription, {"auto_renew": True}).json()
    end = datetime.date.fromisoformat(body["end_date"])
    on = max(end - datetime.timedelta(days=7), local_today())
    assert body["next_automatic_renewal"] == {
        "date": on.isoformat(), "users": 5, "years": 1, "licenses": 5, "planned": False,
    }

    patch(client, subscription, {"renewal_users": 8, "renewal_years": 2})
    listed = client.get("/api/v1/subscriptions/").json()["results"][0]
    assert listed["next_automatic_renewal"] == {
        "date": on.isoformat(), "users": 8, "years": 2, "licenses": 16, "planned": True,
    }

    body = patch(client, subscription, {"auto_renew": False}).json()
    assert body["next_automatic_renewal"] is None


def test_the_schema_describes_next_automatic_renewal(partner_user, api_for):
    schema = api_for(partner_user).get("/api/schema/?format=json").json()
    fields = schema["components"]["schemas"]["Subscription"]["properties"]
    assert "next_automatic_renewal" in fields
    renewal = schema["components"]["schemas"]["NextAutomaticRenewal"]["properties"]
    assert set(renewal) == {"date", "users", "years", "licenses", "planned"}
