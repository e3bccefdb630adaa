"""The reminders say which subscriptions renew by themselves, when and for how much
(rule 23)."""

import datetime

from django.core import mail

from reminders import services
from subscriptions.models import Subscription

DAY = datetime.timedelta(days=1)


def test_the_digest_says_when_and_for_how_much_it_renews_automatically(
    settings, today, ending_on, partner_user
):
    settings.AUTO_RENEW_LEAD_DAYS = 7
    auto = ending_on(today + 30 * DAY, name="Acme", users=4)
    ending_on(today + 30 * DAY, name="Bolt")
    Subscription.objects.filter(pk=auto.pk).update(
        auto_renew=True, renewal_users=6, renewal_years=2
    )
    services.send_reminders(today=today)
    [message] = mail.outbox
    lines = message.body.splitlines()
    acme = lines.index(next(line for line in lines if "Acme" in line))
    on = (today + 23 * DAY).strftime("%d/%m/%Y")
    assert lines[acme + 1].strip() == (
        f"Renouvellement automatique le {on}\u00a0: 6 utilisateurs pour 2 ans, 12 licences."
    )
    bolt = lines.index(next(line for line in lines if "Bolt" in line))
    assert "automati" not in lines[bolt + 1]
    html = next(content for content, kind in message.alternatives if kind == "text/html")
    assert html.count('data-testid="auto-renew-note"') == 1
