"""PATCH of a subscription's renewal plan and auto-renew (rules 22, 23; docs/api.md):
managers only, scoped, bad figures as problem details, nothing changed."""

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
