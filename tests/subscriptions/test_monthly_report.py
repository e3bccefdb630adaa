"""monthly_report: renewals done and licenses consumed per partner and product."""

import datetime
import json

import pytest
from django.core.management import CommandError, call_command

from subscriptions import services


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
    }
    assert lines[("Beta Distribution", "TSEND")]["licenses_consumed"] == 6
    assert lines[("Beta Distribution", "TSEND")]["renewals"] == 0


def test_another_month_is_empty(activity, capsys):
    report = json.loads(_report(capsys, "--month", "2001-01", "--format", "json"))

    assert report["lines"] == []


def test_it_writes_csv_and_a_table_with_totals(activity, today, capsys):
    month = today.strftime("%Y-%m")
    csv_output = _report(capsys, "--month", month, "--format", "csv")
    table = _report(capsys, "--month", month)

    assert csv_output.splitlines()[0] == (
        "month,partner,partner_id,product,renewals,new_subscriptions,imported,licenses_consumed"
    )
    assert len(csv_output.splitlines()) == 3
    total = [line for line in table.splitlines() if line.startswith("Total")][0]
    assert total.split() == ["Total", "1", "3", "0", "19"]


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
