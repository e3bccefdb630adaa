"""Rule 23 under real concurrency (PostgreSQL, threads with their own connections): two
run_auto_renewals at once renew each due subscription once, never overdraw, tell the
managers of a short pool once, and the ledger still adds up."""

import datetime
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection

from subscriptions.models import (
    AutoRenewClaim,
    AutoRenewNotice,
    LicenseMovement,
    MovementKind,
    Subscription,
)
from tests.subscriptions.test_concurrency import assert_ledger_consistent, run_together

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks and concurrent transactions need PostgreSQL",
    ),
]

TODAY = datetime.date(2025, 6, 15)


def test_two_runs_at_once_renew_each_subscription_once(
    settings, alpha, beta, tbox, grant, make_subscription, partner_user, other_partner_user
):
    settings.AUTO_RENEW_LEAD_DAYS = 7
    # Alpha can pay 10 of its 12 two-user renewals; beta all of its 6.
    grant(alpha, tbox, 20)
    grant(beta, tbox, 100)
    due = []
    for index in range(18):
        end = TODAY + datetime.timedelta(days=index % 8)
        due.append(make_subscription(
            alpha if index < 12 else beta, tbox, start=end - datetime.timedelta(days=364),
            end=end, users=2,
        ))
    Subscription.objects.filter(pk__in=[s.pk for s in due]).update(auto_renew=True)

    def run():
        out = io.StringIO()
        call_command("run_auto_renewals", "--today", TODAY.isoformat(), stdout=out)
        return out.getvalue()

    outcomes = run_together(run, run)
    assert [kind for kind, _value in outcomes] == ["ok", "ok"], outcomes
    renewals = LicenseMovement.objects.filter(kind=MovementKind.RENEWAL)
    per_subscription = list(renewals.values_list("subscription_id", flat=True))
    assert len(per_subscription) == len(set(per_subscription)) == 16
    assert AutoRenewClaim.objects.count() == 16
    assert alpha.pools.get(product=tbox).balance == 0
    assert beta.pools.get(product=tbox).balance == 88
    # The two alpha could not pay: one notice each today, whichever run sent it.
    assert AutoRenewNotice.objects.count() == 2
    assert len(mail.outbox) == 2
    assert all(message.to == [partner_user.email] for message in mail.outbox)
    assert_ledger_consistent()
    call_command("check_ledger", stdout=io.StringIO())
    lines = [line for _kind, value in outcomes for line in value.splitlines()]
    assert sum(line.startswith("renewed ") for line in lines) == 16
