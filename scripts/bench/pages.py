"""The pages measured, per user, and their queries counted with the test client."""

import json
import os

from .config import (
    ADMIN_PAGE_SIZE,
    DEEP_PAGE,
    PAGE_SIZE,
    USERS,
    WRITES_SAMPLE,
    django_env,
    setup_django,
)


def describe(name):
    """What the HTTP part needs to know about the data, and the queries of each page,
    counted with the test client (CaptureQueriesContext), in a process of its own."""
    os.environ.update(django_env(name))
    setup_django()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from subscriptions import selectors

    User = get_user_model()
    info = {"pages": {}, "subscriptions": {}, "writes": {}}
    for username in USERS:
        user = User.objects.get(username=username)
        rows = selectors.subscription_rows(user)
        total = rows.count()
        info["subscriptions"][username] = total
        info["writes"][username] = list(
            selectors.subscription_rows(user).order_by("?").values_list("pk", flat=True)[
                :WRITES_SAMPLE
            ]
        )
        deepest = min(DEEP_PAGE, max(1, -(-total // PAGE_SIZE)))
        renewable = (
            selectors.subscriptions_to_renew(user).order_by("pk").values_list("pk", flat=True)
        )
        pages = pages_for(username, deepest, renewable.first())
        client = Client()
        client.force_login(user)
        counted = {}
        for label, path in pages:
            client.get(path)
            with CaptureQueriesContext(connection) as captured:
                status = client.get(path).status_code
            assert status == 200, f"{path} answered {status} to {username}"
            counted[label] = (path, len(captured))
        info["pages"][username] = counted
    print(json.dumps(info))


def pages_for(username, deepest, renew_id):
    pages = [
        ("dashboard", "/"),
        ("client list, page 1", "/clients/"),
        # Page 2 000, or the last one at sizes that have fewer.
        ("client list, page 2 000 (or the last)", f"/clients/?page={deepest}"),
        ("client list, sorted by end date", "/clients/?sort=end"),
        ("client list, status = expiring", "/clients/?status=expiring"),
        ("client list, name search", "/clients/?q=dupont"),
        ("client list, 100 rows", f"/clients/?per_page={ADMIN_PAGE_SIZE}"),
        ("renewals list", "/renewals/"),
        ("renewal form", f"/subscriptions/{renew_id}/renew/"),
        ("licenses and ledger", "/licenses/"),
    ]
    if username == "admin":
        # The same selections at admin's page size, for the like-for-like comparison.
        per_page = f"per_page={ADMIN_PAGE_SIZE}"
        pages += [
            ("client list, 100 rows, sorted by end date", f"/clients/?sort=end&{per_page}"),
            ("client list, 100 rows, status = expiring", f"/clients/?status=expiring&{per_page}"),
            ("client list, 100 rows, name search", f"/clients/?q=dupont&{per_page}"),
        ]
        changelist = "/admin/subscriptions/subscription/"
        pages += [
            ("Django admin changelist (100 rows)", changelist),
            # o=4: list_display's fifth column, the current end date.
            ("Django admin changelist, sorted by end date", f"{changelist}?o=4"),
            ("Django admin changelist, expiring", f"{changelist}?status=expiring"),
            ("Django admin changelist, search", f"{changelist}?q=dupont"),
        ]
    return pages


# Each portal list and the admin changelist showing the same selection (admin's page is
# 100 rows; the portal's 25 unless the label says 100).
ADMIN_PEERS = {
    "client list, page 1": "Django admin changelist (100 rows)",
    "client list, page 2 000 (or the last)": "Django admin changelist (100 rows)",
    "client list, sorted by end date": "Django admin changelist, sorted by end date",
    "client list, status = expiring": "Django admin changelist, expiring",
    "client list, name search": "Django admin changelist, search",
    "renewals list": "Django admin changelist, expiring",
    "client list, 100 rows": "Django admin changelist (100 rows)",
    "client list, 100 rows, sorted by end date": "Django admin changelist, sorted by end date",
    "client list, 100 rows, status = expiring": "Django admin changelist, expiring",
    "client list, 100 rows, name search": "Django admin changelist, search",
}
