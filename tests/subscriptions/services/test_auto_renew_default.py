"""A partner's default for new clients (rule 23): set on its settings page, it switches
auto-renew on for the subscriptions created afterwards for its clients and its resellers'
— from the new-client form's service, a further product, and an import — and for nobody
else's."""

import datetime

from subscriptions import services
from subscriptions.models import Client

from .helpers import TODAY


def test_the_partner_default_switches_auto_renew_on_for_what_is_created_afterwards(
    client, alpha, alpha_reseller, beta, tbox, tsend, grant, partner_user, other_partner_user
):
    grant(alpha, tbox, 100)
    grant(alpha, tsend, 100)
    grant(alpha_reseller, tbox, 100)
    grant(beta, tbox, 100)
    before = services.create_client(actor=partner_user, partner=alpha, product=tbox,
                                    name="Avant", users=1, years=1, start_date=TODAY,
                                    today=TODAY)
    client.force_login(partner_user)
    response = client.post("/account/organization/", {
        "renewal_window_months": "", "reminder_days": "", "auto_renew_new_clients": "on",
    })
    assert response.status_code == 302
    alpha.refresh_from_db()
    assert alpha.auto_renew_new_clients

    own = services.create_client(actor=partner_user, partner=alpha, product=tbox,
                                 name="Directe", users=1, years=1, start_date=TODAY,
                                 today=TODAY)
    resold = services.create_client(actor=partner_user, partner=alpha, reseller=alpha_reseller,
                                    product=tbox, name="Revendue", users=1, years=1,
                                    start_date=TODAY, today=TODAY)
    further = services.add_subscription(actor=partner_user, client=own.client, product=tsend,
                                        users=1, years=1, start_date=TODAY, today=TODAY)
    imported = services.import_subscriptions(partner=alpha, rows=[services.ImportRow(
        line=2, client="Importée", reseller=None, product=tbox, users=1,
        start_date=datetime.date(2025, 1, 1), end_date=datetime.date(2025, 12, 31),
    )]).subscriptions[0]
    elsewhere = services.create_client(actor=other_partner_user, partner=beta, product=tbox,
                                       name="Ailleurs", users=1, years=1, start_date=TODAY,
                                       today=TODAY)
    assert [s.auto_renew for s in (own, resold, further, imported)] == [True] * 4
    for subscription in (before, elsewhere):
        subscription.refresh_from_db()
        assert not subscription.auto_renew
    assert Client.objects.count() == 5
