"""Rule 24: every write records its audit row in its own transaction, with who, what,
the organization it belongs to and the values before and after."""

import base64
import datetime

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts import mfa
from accounts import services as account_services
from accounts.models import Role
from api import services as api_services
from audit.models import Action, AuditEntry
from subscriptions import services
from subscriptions.models import NotRenewingReason, Subscription
from subscriptions.services import OperationRefused
from tests.subscriptions.services.helpers import TODAY, renew

D = datetime.date
pytestmark = pytest.mark.django_db


def only(action):
    [row] = AuditEntry.objects.filter(action=action)
    return row


def test_a_renewal_records_its_end_date_users_and_pool_balance_before_and_after(
    alpha, tbox, grant, partner_user, expiring
):
    grant(alpha, tbox, 100)

    renew(partner_user, expiring, years=2, users=4)

    row = only(Action.RENEWAL)
    assert (row.actor, row.actor_name, row.organization_id) == (partner_user, "partner", alpha.pk)
    assert (row.object_type, row.object_id) == ("subscription", str(expiring.pk))
    assert row.object_label == "Expirante — TBox"
    assert row.before == {"end_date": "2025-07-31", "users": 7, "balance": 100}
    assert row.after["end_date"] == "2027-07-31"
    assert (row.after["users"], row.after["licenses"], row.after["balance"]) == (4, 8, 92)


def test_a_renewal_of_a_resellers_client_belongs_to_the_reseller(
    alpha_reseller, tbox, grant, partner_user, resold
):
    grant(alpha_reseller, tbox, 10)

    renew(partner_user, resold)

    assert only(Action.RENEWAL).organization_id == alpha_reseller.pk


def test_a_refused_renewal_records_nothing(alpha, tbox, grant, partner_user, expiring):
    grant(alpha, tbox, 1)
    count = AuditEntry.objects.count()

    with pytest.raises(OperationRefused):
        renew(partner_user, expiring, years=1)

    assert AuditEntry.objects.count() == count
    assert not AuditEntry.objects.filter(action=Action.RENEWAL).exists()


def test_a_renewal_rolled_back_by_its_caller_leaves_no_row(
    alpha, tbox, grant, partner_user, expiring
):
    grant(alpha, tbox, 100)

    with pytest.raises(RuntimeError), transaction.atomic():
        renew(partner_user, expiring)
        raise RuntimeError("the caller fails after the renewal")

    assert not AuditEntry.objects.filter(action=Action.RENEWAL).exists()
    assert Subscription.objects.get(pk=expiring.pk).term_end == D(2025, 7, 31)


def test_a_bulk_renewal_writes_one_row_per_subscription_in_one_insert(
    alpha, tbox, grant, partner_user, make_subscription
):
    grant(alpha, tbox, 1000)
    chosen = [
        make_subscription(alpha, tbox, start=D(2024, 8, 1), end=D(2025, 7, 31), users=2)
        for _ in range(5)
    ]

    with CaptureQueriesContext(connection) as queries:
        services.renew_subscriptions(
            actor=partner_user, subscription_ids=[s.pk for s in chosen], years=1, today=TODAY
        )

    inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "audit_auditentry"')]
    assert len(inserts) == 1
    rows = AuditEntry.objects.filter(action=Action.RENEWAL).order_by("object_id")
    assert [row.object_id for row in rows] == sorted(str(s.pk) for s in chosen)
    assert sorted(row.after["balance"] for row in rows) == [990, 992, 994, 996, 998]
    assert {row.actor_id for row in rows} == {partner_user.pk}


def test_an_automatic_renewal_is_recorded_as_the_systems(alpha, tbox, grant, make_subscription):
    grant(alpha, tbox, 100)
    due = make_subscription(alpha, tbox, start=D(2024, 6, 20), end=D(2025, 6, 19), users=2)
    Subscription.objects.filter(pk=due.pk).update(auto_renew=True)

    call_command("run_auto_renewals", today="2025-06-15", stdout=open("/dev/null", "w"))

    row = only(Action.AUTO_RENEWAL)
    assert row.actor is None
    assert (row.actor_name, row.source) == ("system: run_auto_renewals", "run_auto_renewals")
    assert row.ip_address is None
    assert (row.before["end_date"], row.after["end_date"]) == ("2025-06-19", "2026-06-19")
    assert (row.before["balance"], row.after["balance"]) == (100, 98)


def test_an_undo_records_the_refund_and_the_end_date_put_back(
    alpha, tbox, grant, partner_user, expiring
):
    grant(alpha, tbox, 100)
    renew(partner_user, expiring, years=1)

    services.undo_last_operation(actor=partner_user, subscription_id=expiring.pk)

    row = only(Action.UNDO)
    assert row.before["end_date"] == "2026-07-31"
    assert row.after["end_date"] == "2025-07-31"
    assert (row.before["balance"], row.after["balance"], row.after["refunded"]) == (93, 100, 7)


def test_users_added_are_recorded_with_the_debit(alpha, tbox, grant, partner_user, expiring):
    grant(alpha, tbox, 100)

    result = services.add_users(
        actor=partner_user, subscription_id=expiring.pk, users=3, today=TODAY
    )

    row = only(Action.USERS_ADDED)
    assert (row.before["users"], row.after["users"]) == (7, 10)
    assert (row.before["balance"], row.after["balance"]) == (100, 100 - result.licenses)


def test_a_coterming_records_each_end_before_and_the_common_end_after(
    alpha, tbox, grant, partner_user, make_subscription
):
    grant(alpha, tbox, 100)
    first = make_subscription(alpha, tbox, start=D(2024, 10, 1), end=D(2025, 9, 30), users=4)
    second = make_subscription(
        alpha, tbox, start=D(2024, 12, 21), end=D(2025, 12, 20), users=3, client=first.client
    )

    services.coterm_subscriptions(
        actor=partner_user, client_id=first.client_id, end=D(2025, 12, 20),
        subscription_ids=[first.pk, second.pk], today=TODAY,
    )

    row = only(Action.COTERM)
    assert row.before == {f"subscription {first.pk}": "2025-09-30"}
    assert (row.after["end_date"], row.after["licenses"]) == ("2025-12-20", 1)
    assert row.organization_id == alpha.pk


def test_the_plan_and_the_auto_renew_switch_are_recorded_apart(partner_user, expiring):
    services.set_renewal_plan(
        actor=partner_user, subscription_id=expiring.pk, users=9, years=2, auto_renew=True
    )

    assert only(Action.AUTO_RENEW_CHANGED).after == {"auto_renew": True}
    plan = only(Action.PLAN_CHANGED)
    assert (plan.before, plan.after) == ({"users": None, "years": None}, {"users": 9, "years": 2})

    services.set_renewal_plan(
        actor=partner_user, subscription_id=expiring.pk, users=9, years=2, auto_renew=True
    )
    assert AuditEntry.objects.filter(action=Action.PLAN_CHANGED).count() == 1


def test_the_not_renewing_mark_and_its_removal_are_recorded(partner_user, expiring, settings):
    settings.RENEWAL_WINDOW_MONTHS = 12  # expiring whatever the real today
    services.mark_not_renewing(
        actor=partner_user, subscription_id=expiring.pk, reason=NotRenewingReason.PRICE,
        comment="Trop cher",
    )
    services.clear_not_renewing(actor=partner_user, subscription_id=expiring.pk)

    mark = only(Action.NOT_RENEWING)
    assert (mark.after["reason"], mark.after["comment"]) == (NotRenewingReason.PRICE, "Trop cher")
    cleared = only(Action.NOT_RENEWING_CLEARED)
    assert (cleared.before, cleared.after) == ({"reason": NotRenewingReason.PRICE},
                                               {"reason": None})


def test_a_new_client_grants_and_allocations_are_recorded(
    alpha, alpha_reseller, tbox, partner_user
):
    services.grant_licenses(partner=alpha, product=tbox, quantity=50)
    services.allocate_licenses(
        partner=alpha, reseller=alpha_reseller, product=tbox, quantity=20,
        direction=services.GIVE, actor=partner_user,
    )
    services.create_client(
        actor=partner_user, partner=alpha, product=tbox, name="Nouvelle", users=2, years=1,
        start_date=TODAY, today=TODAY,
    )

    grant = only(Action.GRANT)
    assert (grant.before, grant.after["balance"], grant.actor) == ({"balance": 0}, 50, None)
    allocation = only(Action.ALLOCATION)
    assert allocation.organization_id == alpha_reseller.pk
    assert sorted(allocation.before.values()) == [0, 50]
    assert allocation.after["quantity"] == 20
    created = only(Action.CLIENT_CREATED)
    assert (created.before, created.after["licenses"]) == (None, 2)
    assert (created.object_label, created.organization_id) == ("Nouvelle — TBox", alpha.pk)


def test_an_import_is_recorded_once_with_what_it_wrote(alpha, tbox, partner_user):
    services.grant_licenses(partner=alpha, product=tbox, quantity=50)
    services.import_subscriptions(partner=alpha, actor=partner_user, rows=[services.ImportRow(
        line=2, client="Importée", reseller=None, product=tbox, users=1,
        start_date=D(2025, 1, 1), end_date=D(2025, 12, 31),
    )])

    row = only(Action.IMPORT)
    assert (row.after["subscriptions"], row.after["clients"], row.after["licenses"]) == (1, 1, 1)


def test_role_membership_and_settings_changes_are_recorded(
    alpha, partner_user, viewer_user
):
    account_services.membership_change_role(actor=partner_user, member=viewer_user,
                                            role=Role.MANAGER)
    account_services.user_deactivate(actor=partner_user, member=viewer_user)
    account_services.organization_update_settings(
        actor=partner_user, organization=alpha, renewal_window_months=6, reminder_days="60, 7",
    )

    role = only(Action.ROLE_CHANGED)
    assert (role.before, role.after) == ({"role": Role.READ_ONLY}, {"role": Role.MANAGER})
    assert (role.object_label, role.organization_id) == ("viewer", alpha.pk)
    assert only(Action.MEMBER_DEACTIVATED).after == {"active": False}
    settings_row = only(Action.SETTINGS_CHANGED)
    assert settings_row.before["renewal_window_months"] is None
    assert settings_row.after["renewal_window_months"] == 6
    assert settings_row.after["reminder_days"] == "60,7"


def test_a_refused_role_change_records_nothing(partner_user):
    with pytest.raises(account_services.AccountRefused):
        account_services.membership_change_role(actor=partner_user, member=partner_user,
                                                role=Role.READ_ONLY)
    assert not AuditEntry.objects.filter(action=Action.ROLE_CHANGED).exists()


def test_two_factor_changes_are_recorded(alpha, partner_user):
    from tests.helpers.two_factor import code_at, step_now

    secret = mfa.new_secret()
    mfa.enrol(partner_user, secret, code_at(base64.b32encode(bytes.fromhex(secret)), step_now()))
    mfa.reset(partner_user)

    assert only(Action.MFA_ENABLED).after == {"two_factor": True}
    reset = only(Action.MFA_RESET)
    assert (reset.before, reset.after) == ({"two_factor": True}, {"two_factor": False})
    assert reset.organization_id == alpha.pk


def test_api_tokens_created_and_revoked_are_recorded(alpha, partner_user):
    token, key = api_services.token_create(user=partner_user, name="CRM")
    api_services.token_revoke(token=token)
    api_services.token_revoke(token=token)

    created = only(Action.TOKEN_CREATED)
    assert created.organization_id == alpha.pk
    assert key not in str(created.after) + created.object_label
    assert only(Action.TOKEN_REVOKED).after == {"revoked": True}
