"""Every URL of the URL conf × every kind of user × GET and POST → the expected status.

The URLs come from walking `get_resolver()`, so a view added without a row in EXPECTED
fails `test_every_url_pattern_has_a_row`. Objects named in URLs belong to Alpha (a client
managed by its reseller, Alpha's read-only user): the other partner gets 404 for them.

Legend of a row: {user kind: (GET status, POST status)}. POSTs carry no data (no token):
a form re-renders (200) and nothing changes. Admin URLs are one row: every non-staff user
is sent to the admin's login; staff permissions inside the admin are tested in
tests/subscriptions/test_admin.py.
"""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import Membership
from subscriptions.models import LicenseMovement, LicensePool, Term
from webhooks.models import Delivery, Endpoint, Event

USERS = ("anonymous", "staff", "manager", "viewer", "reseller", "other")
LOGIN = 302  # anonymous users are sent to the login page


def each(status):
    return dict.fromkeys(USERS, status)


def row(anonymous=(LOGIN, LOGIN), **kinds):
    """A row where every logged-in user gets `default` unless named."""
    default = kinds.pop("default")
    result = {"anonymous": anonymous}
    for kind in USERS[1:]:
        result[kind] = kinds.get(kind, default)
    return result


READ_PAGE = row(anonymous=(LOGIN, 405), default=(200, 405))
# manager_required answers 403 to read-only users before the method is checked.
FORM_PAGE = row(default=(200, 200), viewer=(403, 403))
NOT_STAFF = (302, 302)  # publisher staff manage users in the admin

EXPECTED = {
    # Django's auth views.
    "login": each((200, 200)),
    "logout": row(anonymous=(405, 302), default=(405, 302)),
    "password_change": row(default=(200, 200)),
    "password_change_done": row(default=(200, 405)),
    "password_reset": each((200, 200)),
    "password_reset_done": each((200, 405)),
    "password_reset_confirm": each((200, 200)),
    "password_reset_complete": each((200, 405)),
    "set_language": each((302, 302)),
    # The portal's screens.
    "healthz": each((200, 405)),
    "favicon": each((302, 405)),
    "dashboard": READ_PAGE,
    "client_list": READ_PAGE,
    "renewals": READ_PAGE,
    "licenses": READ_PAGE,
    # The <option>s of a long organization menu, from the user's scope (read-only users
    # filter the ledger too).
    "organization_options": READ_PAGE,
    "client_detail": row(anonymous=(LOGIN, 405), default=(200, 405), other=(404, 405)),
    "client_new": FORM_PAGE,
    # The new-client form's pool figure: without an organization and a product, nothing.
    "pool_balance": row(anonymous=(LOGIN, 405), default=(404, 405), viewer=(403, 405)),
    "renew": row(default=(200, 200), viewer=(403, 403), other=(404, 404)),
    # Rule 19: an empty POST (no token) re-renders the form with the error.
    "add_users": row(default=(200, 200), viewer=(403, 403), other=(404, 404)),
    # Rules 14 and 15: no token / no reason re-renders the page with a message.
    "cancel_renewal": row(default=(200, 200), viewer=(403, 403), other=(404, 404)),
    "not_renewing": row(default=(200, 200), viewer=(403, 403), other=(404, 404)),
    # Rules 22-23: an empty POST is the form with nothing ticked or typed (no plan, no
    # auto-renew), saved like any other.
    "renewal_plan": row(default=(200, 302), viewer=(403, 403), other=(404, 404)),
    # Rule 20: a POST without a date re-renders the simulator with the error at the field.
    "coterm": row(default=(200, 200), viewer=(403, 403), other=(404, 404)),
    # A reseller has no resellers to allocate to.
    "allocate": row(default=(200, 200), viewer=(403, 403), reseller=(403, 403)),
    # No selection: back to the list with a message.
    "bulk_renew": row(default=(405, 302), viewer=(403, 403)),
    "reminder_preferences": row(default=(200, 200)),
    # A partner's own settings (rule 16): its managers only; staff use the Partner admin.
    # Both fields are optional, so an empty POST is valid: back to the defaults, redirect.
    "account_organization": row(
        default=(200, 302), viewer=(403, 403), reseller=(403, 403), staff=NOT_STAFF
    ),
    # Users of the organization (accounts/views.py).
    "account_users": row(
        anonymous=(LOGIN, 405), default=(200, 405), viewer=(403, 405), staff=(302, 405)
    ),
    "account_user_invite": row(default=(200, 200), viewer=(403, 403), staff=NOT_STAFF),
    "account_user_edit": row(
        default=(200, 200), viewer=(403, 403), staff=NOT_STAFF, reseller=(404, 404),
        other=(404, 404),
    ),
    "account_user_deactivate": row(
        anonymous=(405, LOGIN), default=(405, 302), viewer=(405, 403), staff=(405, 302),
        reseller=(405, 404), other=(405, 404),
    ),
    "account_user_reactivate": row(
        anonymous=(405, LOGIN), default=(405, 302), viewer=(405, 403), staff=(405, 302),
        reseller=(405, 404), other=(405, 404),
    ),
    "account_user_resend": row(
        anonymous=(405, LOGIN), default=(405, 302), viewer=(405, 403), staff=(405, 302),
        reseller=(405, 404), other=(405, 404),
    ),
    # Clients from a CSV file (read-only users may not).
    "client_import": row(default=(200, 200), viewer=(403, 403)),
    # A user's own API tokens (read-only users get read-only tokens); no token 1 here.
    "api_tokens": row(default=(200, 200)),
    # Everyone's own two-factor login, read-only members too; an empty POST re-renders.
    "account_security": row(default=(200, 200)),
    # A manager's webhook endpoints (webhooks/views.py): an empty POST is a form with
    # errors; an endpoint or delivery of another organization is 404.
    "webhooks": row(default=(200, 200), viewer=(403, 403), staff=NOT_STAFF),
    **{
        name: row(
            default=(405, 302), viewer=(403, 403), staff=NOT_STAFF, reseller=(405, 404),
            other=(405, 404),
        )
        for name in ("webhook_delete", "webhook_enable", "webhook_redeliver")
    },
    # The audit log (rule 24): every member reads their organization's, read-only ones
    # too, staff everyone's; it only reads.
    "account_audit": READ_PAGE,
    # The login's second step without a right password first: back to the login page.
    "login_code": each((302, 302)),
    # Single sign-on is off without OIDC_ISSUER: its pages do not exist (tests/accounts/
    # test_sso.py tests them with a provider).
    "sso_login": each((404, 404)),
    "sso_callback": each((404, 404)),
    "revoke_api_token": row(default=(405, 404)),
    # The API authenticates by token only: a portal session is not enough (401 for
    # everyone). Token holders of each kind are tested in the API's own tests.
    **{
        name: each((401, 401))
        for name in (
            "api-client-list", "api-client-detail", "api-subscription-list",
            "api-subscription-detail", "api-subscription-renew", "api-subscription-bulk-renew",
            "api-subscription-cancel-renewal", "api-subscription-not-renewing",
            "api-subscription-add-users", "api-client-coterm",
            "api-renewals-due-list", "api-pool-list", "api-ledger-list",
        )
    },
    "api-schema": each((200, 405)),
    "api-docs": each((200, 405)),
}
ADMIN = "admin:*"
CHANGES_ON_EMPTY_POST = {"account_user_deactivate", "account_user_reactivate"}


def walk(patterns, prefix="", namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}{pattern.name}" if pattern.name else None
            yield prefix + str(pattern.pattern), name, pattern


def url_patterns():
    return list(walk(get_resolver().url_patterns))


def key_of(route, name):
    if route.startswith("admin/"):
        return ADMIN
    return name or route


# URLs without a row fail test_every_url_pattern_has_a_row, not each of these.
PORTAL_KEYS = sorted(
    {key_of(route, name) for route, name, _p in url_patterns()} & set(EXPECTED)
)


def test_every_url_pattern_has_a_row():
    missing = sorted(
        {key_of(route, name) for route, name, _p in url_patterns()} - set(EXPECTED) - {ADMIN}
    )
    assert not missing, f"URL patterns without an access-matrix row: {missing}"
    present = {key_of(route, name) for route, name, _p in url_patterns()}
    stale = sorted(set(EXPECTED) - present)
    assert not stale, f"Rows for URLs that no longer exist: {stale}"


@pytest.fixture
def world(
    alpha, alpha_reseller, beta, tbox, grant, make_subscription, today,
    staff, partner_user, viewer_user, reseller_user, other_partner_user,
):
    grant(alpha, tbox, 100)
    grant(alpha_reseller, tbox, 100)
    subscription = make_subscription(
        alpha, tbox, start=today.replace(year=today.year - 1), end=today,
        reseller=alpha_reseller,
    )
    users = {
        "anonymous": None,
        "staff": staff,
        "manager": partner_user,
        "viewer": viewer_user,
        "reseller": reseller_user,
        "other": other_partner_user,
    }
    endpoint = Endpoint.objects.create(organization=alpha, url="https://example.com/hook",
                                       events=["subscription.renewed"], secret="whsec_eA==")
    event = Event.objects.create(message_id="msg_1", type="subscription.renewed",
                                 organization=alpha, partner=alpha, body="{}")
    return {"subscription": subscription, "client": subscription.client, "users": users,
            "member": viewer_user, "endpoint": endpoint,
            "delivery": Delivery.objects.create(endpoint=endpoint, event=event)}


def url_for(name, pattern, world):
    if name in {"client_detail", "coterm"}:
        return reverse(name, args=[world["client"].pk])
    if name in {"renew", "add_users", "cancel_renewal", "not_renewing", "renewal_plan"}:
        return reverse(name, args=[world["subscription"].pk])
    if name and name.startswith("account_user_") and name != "account_user_invite":
        return reverse(name, args=[world["member"].pk])
    on_one_object = (
        "-detail", "-renew", "-cancel-renewal", "-not-renewing", "-add-users", "-coterm",
    )
    if name and name.startswith("api-") and name.endswith(on_one_object) and "bulk" not in name:
        return reverse(name, kwargs={"pk": world["subscription"].pk if "subscription" in name
                                     else world["client"].pk})
    if name in {"webhook_delete", "webhook_enable"}:
        return reverse(name, args=[world["endpoint"].pk])
    if name == "webhook_redeliver":
        return reverse(name, args=[world["delivery"].pk])
    if name == "revoke_api_token":
        return reverse(name, args=[1])
    if name == "password_reset_confirm":
        return reverse(name, kwargs={"uidb64": "MQ", "token": "set-password"})
    return reverse(name)


def snapshot():
    return (
        LicenseMovement.objects.count(),
        Term.objects.count(),
        sorted(LicensePool.objects.values_list("pk", "balance")),
        sorted(Membership.objects.values_list("pk", "role", "user__is_active")),
    )


def client_for(world, kind):
    client = Client()
    user = world["users"][kind]
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("key", PORTAL_KEYS)
def test_the_portal_answers_each_kind_of_user_as_expected(world, key):
    pattern = next(p for route, name, p in url_patterns() if key_of(route, name) == key)
    url = url_for(key, pattern, world)
    # The manager last: its empty POST to deactivate a user is the one that changes state.
    for kind in sorted(USERS, key=lambda kind: kind == "manager"):
        expected = EXPECTED[key][kind]
        before = snapshot()
        got = (client_for(world, kind).get(url).status_code,
               client_for(world, kind).post(url, {}).status_code)
        assert got == expected, f"{kind} on {url}"
        # Empty POSTs carry no token and no data: nothing that matters may change.
        # (Logging out and choosing a language change only the session; deactivating a
        # user is the point of its POST.)
        if key not in CHANGES_ON_EMPTY_POST:
            assert snapshot() == before, f"{kind} on {url}"


ADMIN_ARGS = {"app_label": "subscriptions", "url": "no-such-page/"}


def admin_urls():
    urls = []
    for route, name, pattern in url_patterns():
        if not route.startswith("admin/"):
            continue
        if name is None:
            urls.append((route, "/admin/no-such-page/"))
            continue
        converters = getattr(pattern.pattern, "converters", None) or {}
        groups = list(pattern.pattern.regex.groupindex)
        kwargs = {key: ADMIN_ARGS.get(key, "1") for key in set(converters) | set(groups)}
        urls.append((name, reverse(name, kwargs=kwargs)))
    return urls


# Every non-staff user is the same to the admin (`is_staff` is what it checks).
@pytest.mark.parametrize("kind", ["anonymous", "viewer"])
def test_the_admin_sends_everyone_but_staff_to_its_login(world, kind):
    client = client_for(world, kind)
    for name, url in admin_urls():
        if name == "admin:login":
            expected = {"GET": 200, "POST": 200}
        else:
            expected = {"GET": 302, "POST": 302}
        get = client.get(url)
        post = client.post(url, {})
        assert {"GET": get.status_code, "POST": post.status_code} == expected, (kind, url)
        if name != "admin:login":
            assert get["Location"].startswith("/admin/"), (kind, url)


def test_the_admin_never_fails_for_staff(world):
    client = client_for(world, "staff")
    for name, url in admin_urls():
        if name == "admin:logout":
            continue
        assert client.get(url).status_code < 500, url
