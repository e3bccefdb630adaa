"""monthly_report: renewals done, licenses consumed and subscriptions marked not renewing,
per partner and product."""

import datetime
import json
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from subscriptions import services
from subscriptions.models import Subscription


def _report(capsys, *args):
    call_command("monthly_report", *args)
    return capsys.readouterr().out


@pytest.fixture
def activity(today, alpha, alpha_reseller, beta, tbox, tsend, grant, partner_user,
             make_subscription):
    grant(alpha, tbox, 100)
    grant(alpha_reseller, tbox, 100)
    grant(beta, tsend, 100)
    expiring = make_subscription(alpha, tbox, start=today - datetime.timedelta(days=400), users=3)
    services.renew_subscription(
        actor=partner_user, subscription_id=expiring.pk, years=2, users=4, today=today
    )
    services.create_client(
        actor=partner_user, partner=alpha, reseller=alpha_reseller, name="Acme", product=tbox,
        users=5, years=1, start_date=today,
    )
    services.create_client(
        actor=None, partner=beta, name="Bolt", product=tsend, users=2, years=3, start_date=today,
    )


def test_it_sums_renewals_and_licenses_per_partner_and_product_in_json(
    activity, today, capsys, alpha, beta
):
    report = json.loads(_report(capsys, "--month", today.strftime("%Y-%m"), "--format", "json"))

    lines = {(line["partner"], line["product"]): line for line in report["lines"]}
    assert report["month"] == today.strftime("%Y-%m")
    # Alpha's reseller's client counts for Alpha: its partner.
    assert lines[("Alpha Distribution", "TBOX")] == {
        "partner": "Alpha Distribution", "partner_id": alpha.pk, "product": "TBOX",
        # The expiring subscription's own first term was written today too (no debit).
        "renewals": 1, "new_subscriptions": 2, "imported": 0, "licenses_consumed": 8 + 5,
        "marked_not_renewing": 0, "not_renewing_ending": 0, "addons": 0, "addon_licenses": 0,
        "automatic_renewals": 0, "coterm_extensions": 0,
    }
    assert lines[("Beta Distribution", "TSEND")]["licenses_consumed"] == 6
    assert lines[("Beta Distribution", "TSEND")]["renewals"] == 0


def test_add_ons_are_counted_apart_and_an_undone_one_not_at_all(
    activity, today, capsys, alpha, tbox, partner_user
):
    [renewed] = Subscription.objects.filter(terms__kind="renewal").distinct()
    first = services.add_users(actor=partner_user, subscription_id=renewed.pk, users=10)
    services.add_users(actor=partner_user, subscription_id=renewed.pk, users=1)
    services.undo_last_operation(actor=partner_user, subscription_id=renewed.pk)

    report = json.loads(_report(capsys, "--month", today.strftime("%Y-%m"), "--format", "json"))
    line = {(line["partner"], line["product"]): line
            for line in report["lines"]}[("Alpha Distribution", "TBOX")]
    assert (line["renewals"], line["addons"]) == (1, 1)
    assert line["addon_licenses"] == first.licenses
    # The consumed licenses count the add-on standing; the undone one is refunded.
    assert line["licenses_consumed"] == 8 + 5 + first.licenses
    assert "Add-ons" in _report(capsys, "--month", today.strftime("%Y-%m"))


def test_another_month_is_empty(activity, capsys):
    report = json.loads(_report(capsys, "--month", "2001-01", "--format", "json"))

    assert report["lines"] == []


def test_it_writes_csv_and_a_table_with_totals(activity, today, capsys):
    month = today.strftime("%Y-%m")
    csv_output = _report(capsys, "--month", month, "--format", "csv")
    table = _report(capsys, "--month", month)

    assert csv_output.splitlines()[0] == (
        "month,partner,partner_id,product,renewals,new_subscriptions,imported,licenses_consumed,"
        "marked_not_renewing,not_renewing_ending,addons,addon_licenses,automatic_renewals,"
        "coterm_extensions"
    )
    assert len(csv_output.splitlines()) == 3
    total = [line for line in table.splitlines() if line.startswith("Total")][0]
    assert total.split() == ["Total", "1", "3", "0", "19", "0", "0", "0", "0", "0", "0"]


def test_an_import_without_debit_consumes_nothing(today, alpha, tbox, capsys):

    row = services.ImportRow(line=2, client="Old", reseller=None, product=tbox, users=10,
                             start_date=datetime.date(2020, 1, 1),
                             end_date=datetime.date(2030, 12, 31))
    services.import_subscriptions(partner=alpha, rows=[row], debit=False)

    report = json.loads(_report(capsys, "--month", today.strftime("%Y-%m"), "--format", "json"))

    [line] = report["lines"]
    assert line["imported"] == 1 and line["licenses_consumed"] == 0


def test_it_refuses_a_malformed_month(db):
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("monthly_report", "--month", "11/2026")


# --- not renewing (issue 7 part 4) ----------------------------------------------------

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def marks(alpha, alpha_reseller, beta, tbox, tsend, make_subscription):
    """Subscriptions ending around March 2021, marked (or not) at various dates."""

    def marked(partner, product, *, end, at, reseller=None):
        subscription = make_subscription(
            partner, product, start=end - datetime.timedelta(days=364), end=end,
            reseller=reseller,
        )
        if at is not None:
            Subscription.objects.filter(pk=subscription.pk).update(
                not_renewing_reason="price", not_renewing_at=at
            )
        return subscription

    march = {
        # Marked in March, ends in May: a decision of March.
        "decided": marked(alpha, tbox, end=datetime.date(2021, 5, 31),
                          at=datetime.datetime(2021, 3, 10, 12, tzinfo=PARIS)),
        # Marked in February, ends in March: lost in March.
        "lost": marked(alpha, tbox, end=datetime.date(2021, 3, 15),
                       at=datetime.datetime(2021, 2, 20, 12, tzinfo=PARIS)),
        # Both, for the partner of the reseller; 00:30 in Paris on the 1st is March there,
        # though still February in UTC.
        "both": marked(alpha, tbox, reseller=alpha_reseller, end=datetime.date(2021, 3, 31),
                       at=datetime.datetime(2021, 3, 1, 0, 30, tzinfo=PARIS)),
        "beta": marked(beta, tsend, end=datetime.date(2021, 3, 20),
                       at=datetime.datetime(2021, 3, 5, 9, tzinfo=PARIS)),
        # Ends in March, never marked; and one whose mark was removed.
        "unmarked": marked(alpha, tbox, end=datetime.date(2021, 3, 10), at=None),
        "cleared": marked(alpha, tbox, end=datetime.date(2021, 3, 12),
                          at=datetime.datetime(2021, 3, 2, 9, tzinfo=PARIS)),
    }
    services.clear_not_renewing(actor=None, subscription_id=march["cleared"].pk)
    return march


def _lines(capsys, month):
    report = json.loads(_report(capsys, "--month", month, "--format", "json"))
    return {(line["partner"], line["product"]): line for line in report["lines"]}


def test_it_counts_marked_during_the_month_and_marked_ending_in_it(marks, capsys):
    march = _lines(capsys, "2021-03")

    alpha_tbox = march[("Alpha Distribution", "TBOX")]
    assert (alpha_tbox["marked_not_renewing"], alpha_tbox["not_renewing_ending"]) == (2, 2)
    beta_tsend = march[("Beta Distribution", "TSEND")]
    assert (beta_tsend["marked_not_renewing"], beta_tsend["not_renewing_ending"]) == (1, 1)
    assert set(march) == {("Alpha Distribution", "TBOX"), ("Beta Distribution", "TSEND")}
    # Nothing else happened in March 2021.
    assert alpha_tbox["renewals"] == alpha_tbox["licenses_consumed"] == 0

    february = _lines(capsys, "2021-02")
    assert february[("Alpha Distribution", "TBOX")]["marked_not_renewing"] == 1
    assert february[("Alpha Distribution", "TBOX")]["not_renewing_ending"] == 0
    may = _lines(capsys, "2021-05")
    assert may[("Alpha Distribution", "TBOX")]["not_renewing_ending"] == 1
    assert may[("Alpha Distribution", "TBOX")]["marked_not_renewing"] == 0


def test_a_mark_made_in_the_portal_counts_this_month(
    today, alpha, tbox, partner_user, make_subscription, capsys
):
    expiring = make_subscription(
        alpha, tbox, start=today - datetime.timedelta(days=300),
        end=today + datetime.timedelta(days=30),
    )
    services.mark_not_renewing(
        actor=partner_user, subscription_id=expiring.pk, reason="closed", comment=""
    )

    [line] = _lines(capsys, today.strftime("%Y-%m")).values()

    assert line["marked_not_renewing"] == 1


def test_every_format_carries_the_not_renewing_counts(marks, capsys):
    csv_rows = _report(capsys, "--month", "2021-03", "--format", "csv").splitlines()
    table = _report(capsys, "--month", "2021-03").splitlines()

    header = csv_rows[0].split(",")
    alpha_row = dict(zip(header, csv_rows[1].split(","), strict=True))
    assert (alpha_row["marked_not_renewing"], alpha_row["not_renewing_ending"]) == ("2", "2")
    assert "Not renewing (marked)" in table[1] and "Not renewing (ending)" in table[1]
    total = [line for line in table if line.startswith("Total")][0]
    assert total.split() == ["Total", "0", "0", "0", "0", "3", "3", "0", "0", "0", "0"]


def test_co_terming_is_counted_apart_and_its_licenses_consumed(
    today, alpha, tbox, grant, partner_user, make_subscription, capsys
):
    grant(alpha, tbox, 100)
    first = make_subscription(alpha, tbox, start=today - datetime.timedelta(days=300),
                              end=today + datetime.timedelta(days=20), users=4)
    second = make_subscription(alpha, tbox, start=today - datetime.timedelta(days=200),
                               end=today + datetime.timedelta(days=100), users=3,
                               client=first.client)
    result = services.coterm_subscriptions(
        actor=partner_user, client_id=first.client_id, end=second.term_end,
        subscription_ids=[first.pk, second.pk], today=today,
    )

    report = json.loads(_report(capsys, "--month", today.strftime("%Y-%m"), "--format", "json"))

    [line] = report["lines"]
    assert (line["coterm_extensions"], line["renewals"], line["addons"]) == (1, 0, 0)
    assert line["licenses_consumed"] == result.licenses > 0
