"""The one renewal writer's two paths write the same rows.

On PostgreSQL a single renewal of an existing pool is one hand-written statement; every
other renewal (SQLite, a bulk renewal of several, a refusal) goes statement by statement
through the ORM. Each case here runs twice from the same state, once down each path, and
compares everything a renewal can change: balances, ledger lines, terms, subscriptions,
statuses, the token's result, the audit log's rows and what the caller is answered.
"""

import datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEntry
from subscriptions import services
from subscriptions.models import LicenseMovement, LicensePool, OperationToken, Subscription, Term
from subscriptions.services import AlreadyDone, OperationRefused, renewal_writer
from subscriptions.services.idempotency import issue_token

from .helpers import TODAY, renew

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the one-statement path is PostgreSQL's"
)


def _term(term_id):
    term = Term.objects.select_related("subscription__client").get(pk=term_id)
    return (term.subscription.client.name, term.kind, term.start_date, term.end_date)


def state():
    """Everything a renewal can change, named by what it is rather than by its pk (the two
    runs get different ones)."""
    pools = sorted(
        (pool.organization.name, pool.product.code, pool.balance)
        for pool in LicensePool.objects.select_related("organization", "product")
    )
    lines = sorted(
        (
            line.pool.organization.name, line.pool.product.code, line.quantity,
            line.balance_after, line.kind, line.note,
            line.subscription.client.name if line.subscription else None,
            _term(line.term_id) if line.term_id else None,
            line.actor.username if line.actor else None,
        )
        for line in LicenseMovement.objects.select_related(
            "pool__organization", "pool__product", "subscription__client", "actor"
        )
    )
    terms = sorted(
        (
            term.subscription.client.name, term.kind, term.start_date, term.end_date,
            term.users, term.years, term.licenses,
            term.created_by.username if term.created_by else None, term.cancelled_at,
        )
        for term in Term.objects.select_related("subscription__client", "created_by")
    )
    subscriptions = sorted(
        (
            row.client.name, row.status, row.current_start, row.current_end, row.term_start,
            row.term_end, row.users, row.years, row.previous_term_start,
            row.previous_term_end, row.previous_users, row.previous_years,
            row.not_renewing_reason, row.not_renewing_comment, row.not_renewing_at,
            row.not_renewing_by_id,
        )
        for row in Subscription.objects.with_status(TODAY).select_related("client")
    )
    tokens = sorted(
        (token.operation, _named(token.result)) for token in OperationToken.objects.all()
    )
    audit_rows = sorted(
        (
            row.action, row.actor_name, row.source, row.organization_id is not None,
            row.object_type, row.object_label, _without_ids(row.before),
            _without_ids(row.after),
        )
        # The rows of what was done to subscriptions (the setup's name pools by pk).
        for row in AuditEntry.objects.filter(object_type="subscription")
    )
    return {"pools": pools, "ledger": lines, "terms": terms, "subscriptions": subscriptions,
            "tokens": tokens, "audit": audit_rows}


def _without_ids(values):
    return sorted((values or {}).items() - {("pool_id", (values or {}).get("pool_id"))})


def _named(result):
    """A token's result with its ids replaced by what they name."""
    named = dict(result)
    if "term_id" in named:
        named["term_id"] = _term(named["term_id"])
    if "subscription_id" in named:
        named["subscription_id"] = Subscription.objects.get(
            pk=named["subscription_id"]
        ).client.name
    for key in ("subscriptions", "renewals", "pools"):
        named.pop(key, None)  # a bulk result's ids; its figures are in `count`/`licenses`
    return named


def outcome(call):
    """What the caller was answered, named as `state` names rows."""
    try:
        result = call()
    except OperationRefused as refusal:
        return ("refused", refusal.code, refusal.message, refusal.field,
                refusal.missing if not isinstance(refusal.missing, dict)
                else sorted(refusal.missing.values()))
    except AlreadyDone as done:
        return ("already done", _named(done.result))
    if isinstance(result, services.RenewalResult):
        row = result.subscription
        return ("renewed", result.licenses, result.balance_after, _term(result.term.pk),
                row.status, row.current_start, row.current_end, row.term_end)
    return ("bulk renewed", result.licenses, len(result.renewals))


@pytest.fixture
def both_paths(monkeypatch):
    """both_paths(scenario): runs `scenario()` (which builds its own rows and returns what
    it saw) down the one-statement path, then from the same state down the ORM path, and
    asserts both saw and wrote the same. Returns what they saw."""

    def run(scenario):
        seen = {}
        for path in ("one statement", "statements"):
            savepoint = transaction.savepoint()
            with monkeypatch.context() as patch, CaptureQueriesContext(connection) as queries:
                if path == "statements":
                    patch.setattr(renewal_writer, "_fits_one_statement", lambda lines: False)
                seen[path] = (scenario(), state())
            took_one_statement = any("WITH debit AS" in q["sql"] for q in queries.captured_queries)
            assert took_one_statement == (path == "one statement"), path
            transaction.savepoint_rollback(savepoint)
        assert seen["one statement"] == seen["statements"]
        return seen["statements"][0]

    return run


@pytest.fixture
def expiring_of(alpha, tbox, make_subscription):
    def make(organization=None, users=7):
        # Named, as both runs must see the same rows.
        return make_subscription(
            alpha, tbox, start=datetime.date(2024, 8, 1), end=datetime.date(2025, 7, 31),
            users=users, reseller=organization, name="Expiring SA",
        )

    return make


def test_a_renewal_writes_the_same_down_both_paths(
    both_paths, alpha, alpha_reseller, tbox, grant, partner_user, expiring_of
):
    def scenario():
        grant(alpha_reseller, tbox, 50)
        subscription = expiring_of(alpha_reseller, users=3)
        services.mark_not_renewing(
            actor=partner_user, subscription_id=subscription.pk, reason="price",
            comment="too dear",
        )
        token = issue_token(partner_user)
        return outcome(lambda: renew(partner_user, subscription, years=2, users=4,
                                     token=token))

    assert both_paths(scenario)[0] == "renewed"


def test_a_pool_short_by_one_is_refused_the_same_down_both_paths(
    both_paths, alpha, tbox, grant, partner_user, expiring_of
):
    def scenario():
        grant(alpha, tbox, 13)
        subscription = expiring_of()
        return outcome(lambda: renew(partner_user, subscription, years=2,
                                     token=issue_token(partner_user)))

    assert both_paths(scenario)[:2] == ("refused", "not_enough_licenses")


def test_a_pool_holding_exactly_the_cost_pays_the_same_down_both_paths(
    both_paths, alpha, tbox, grant, partner_user, expiring_of
):
    def scenario():
        grant(alpha, tbox, 14)
        return outcome(lambda: renew(partner_user, expiring_of(), years=2))

    assert both_paths(scenario)[:3] == ("renewed", 14, 0)


def test_a_second_renewal_is_refused_the_same_down_both_paths(
    both_paths, alpha, tbox, grant, partner_user, expiring_of
):
    def scenario():
        grant(alpha, tbox, 100)
        subscription = expiring_of()
        first = outcome(lambda: renew(partner_user, subscription, years=1))
        return first, outcome(lambda: renew(partner_user, subscription, years=1))

    assert both_paths(scenario)[1][:2] == ("refused", "already_renewed")


@pytest.mark.parametrize("after_expiry", ["restart", "continuous"])
def test_an_expired_subscription_is_renewed_the_same_down_both_paths(
    both_paths, settings, alpha, tbox, grant, partner_user, make_subscription, after_expiry
):
    settings.RENEWAL_AFTER_EXPIRY = after_expiry

    def scenario():
        grant(alpha, tbox, 100)
        subscription = make_subscription(
            alpha, tbox, start=datetime.date(2024, 6, 1), end=datetime.date(2025, 5, 31),
            users=7, name="Expired SA",
        )
        return outcome(lambda: renew(partner_user, subscription, years=1))

    seen = both_paths(scenario)
    expected_start = TODAY if after_expiry == "restart" else datetime.date(2025, 6, 1)
    assert seen[0] == "renewed"
    assert seen[3][2] == expected_start


def test_a_form_sent_twice_is_answered_the_same_down_both_paths(
    both_paths, alpha, tbox, grant, partner_user, expiring_of
):
    def scenario():
        grant(alpha, tbox, 100)
        subscription = expiring_of()
        token = issue_token(partner_user)
        first = outcome(lambda: renew(partner_user, subscription, years=2, token=token))
        return first, outcome(lambda: renew(partner_user, subscription, years=2, token=token))

    first, again = both_paths(scenario)
    assert first[0] == "renewed"
    assert again[0] == "already done"
    assert again[1]["licenses"] == 14


def test_a_bulk_renewal_of_one_writes_the_same_down_both_paths(
    both_paths, alpha, tbox, grant, partner_user, expiring_of
):
    def scenario():
        grant(alpha, tbox, 100)
        subscription = expiring_of()
        return outcome(lambda: services.renew_subscriptions(
            actor=partner_user, subscription_ids=[subscription.pk], years=2,
            token=issue_token(partner_user), today=TODAY,
        ))

    assert both_paths(scenario) == ("bulk renewed", 14, 1)


def test_renewals_run_prepared_statements_and_still_write_exactly(
    alpha, tbox, grant, partner_user, make_subscription
):
    """From the fifth renewal on a connection, the lock's and the writer's statements are
    prepared (parsed once); the renewals written that way are still exact."""
    grant(alpha, tbox, 100)
    subscriptions = [
        make_subscription(
            alpha, tbox, start=datetime.date(2024, 8, 1), end=datetime.date(2025, 7, 31),
            users=2, name=f"Client {n}",
        )
        for n in range(7)
    ]
    for subscription in subscriptions:
        renew(partner_user, subscription, years=1, token=issue_token(partner_user))
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("WITH debit AS" in statement for statement in prepared)
    assert any("FOR UPDATE OF s" in statement for statement in prepared)
    assert LicensePool.objects.get(organization=alpha, product=tbox).balance == 100 - 7 * 2
    assert Term.objects.filter(kind="renewal").count() == 7
    assert LicenseMovement.objects.filter(kind="renewal").count() == 7
