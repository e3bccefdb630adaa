"""Structured logs: one `event key=value ...` line per operation that moves licenses, with
who (actor), what (the objects) and how many (licenses or quantity)."""

import datetime
import logging

import pytest

from subscriptions import services


def _events(caplog):
    events = []
    for record in caplog.records:
        if record.name != "portal.operations":
            continue
        event, *pairs = record.getMessage().split(" ")
        assert all("=" in pair for pair in pairs), record.getMessage()
        events.append((event, dict(pair.split("=", 1) for pair in pairs)))
    return events


@pytest.fixture
def logged(caplog):
    caplog.set_level(logging.INFO, logger="portal.operations")
    return caplog


def test_a_grant_an_allocation_a_creation_and_a_renewal_log_one_line_each(
    logged, today, alpha, alpha_reseller, tbox, partner_user, make_subscription
):
    services.grant_licenses(partner=alpha, product=tbox, quantity=100, actor=None)
    services.allocate_licenses(
        partner=alpha, reseller=alpha_reseller, product=tbox, quantity=30,
        direction=services.GIVE, actor=partner_user,
    )
    services.create_client(
        actor=partner_user, partner=alpha, name="Acme", product=tbox, users=4, years=2,
        start_date=today,
    )
    expired = make_subscription(alpha, tbox, start=today - datetime.timedelta(days=400), users=3)
    services.renew_subscription(actor=partner_user, subscription_id=expired.pk, years=1)

    events = dict(_events(logged))

    assert events["grant"]["quantity"] == "100"
    assert events["allocation"] == {
        "partner": str(alpha.pk), "reseller": str(alpha_reseller.pk), "product": "TBOX",
        "direction": "give", "quantity": "30", "actor": "partner",
    }
    assert events["subscription_opened"]["licenses"] == "8"
    assert events["subscription_opened"]["actor"] == "partner"
    assert events["renewal"]["subscription"] == str(expired.pk)
    assert events["renewal"]["licenses"] == "3"
    assert events["renewal"]["actor"] == "partner"
    assert events["renewal"]["balance_after"] == str(100 - 30 - 8 - 3)


def test_a_refused_renewal_logs_nothing(logged, today, alpha, tbox, partner_user,
                                        make_subscription):
    expired = make_subscription(alpha, tbox, start=today - datetime.timedelta(days=400), users=3)

    with pytest.raises(services.OperationRefused):
        services.renew_subscription(actor=partner_user, subscription_id=expired.pk, years=1)

    assert [event for event, _pairs in _events(logged)] == []
