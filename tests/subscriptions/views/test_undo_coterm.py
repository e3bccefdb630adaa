"""Undoing a co-terming from the web (rule 21): the undo page previews how many
subscriptions it takes back and what each pool gets back, OK undoes it whole, and a later
operation on one of them refuses it in the reader's language, naming that subscription."""

import datetime
from types import SimpleNamespace

import pytest

from subscriptions import services
from subscriptions.services.idempotency import issue_token
from subscriptions.status import Status
from tests.helpers.html import by_testid, having, text_of
from tests.helpers.ledger import balance, ledger_matches, status_of

DAY = datetime.timedelta(days=1)

pytestmark = pytest.mark.django_db


@pytest.fixture
def cotermed(alpha, tbox, tsend, grant, make_subscription, partner_user, today):
    """A client whose TBox ending in 20 days and TSend ending in 50 days were aligned on
    its second TBox's end, in 100 days: two pools paid."""
    grant(alpha, tbox, 100)
    grant(alpha, tsend, 100)
    soon = make_subscription(alpha, tbox, start=today - 300 * DAY, end=today + 20 * DAY,
                             users=4, name="Famille SA")
    client = soon.client
    sending = make_subscription(alpha, tsend, start=today - 300 * DAY, end=today + 50 * DAY,
                                users=30, client=client)
    later = make_subscription(alpha, tbox, start=today - 200 * DAY, end=today + 100 * DAY,
                              users=3, client=client)
    done = services.coterm_subscriptions(
        actor=partner_user, client_id=client.pk, end=later.term_end,
        subscription_ids=[soon.pk, sending.pk, later.pk],
    )
    costs = {line.subscription.pk: line.cost for line in done.plan.extended}
    return SimpleNamespace(client=client, soon=soon, sending=sending, later=later,
                           costs=costs, licenses=done.licenses)


def test_the_undo_page_previews_the_whole_co_terming_and_ok_undoes_it(
    browse, cotermed, partner_user, alpha, tbox, tsend
):
    page = browse(partner_user)
    record = page.get(f"/clients/{cotermed.client.pk}/")
    buttons = having(record, "data-undo-kind", "coterm")
    assert [button.text.strip() for button in buttons] == ["Cancel the co-terming"] * 2

    url = f"/subscriptions/{cotermed.sending.pk}/cancel-renewal/"
    preview = page.get(url)

    [what] = by_testid(preview, "undo-what")
    assert what.attrs["data-undo-kind"] == "coterm" and what.attrs["data-subscriptions"] == "2"
    assert "2 subscriptions go back to their previous end dates" in text_of(preview)
    assert {int(row.attrs["data-subscription-id"]): row.attrs["data-end"]
            for row in by_testid(preview, "undo-subscription")} == {
        cotermed.soon.pk: cotermed.soon.term_end.isoformat(),
        cotermed.sending.pk: cotermed.sending.term_end.isoformat(),
    }
    assert sorted(int(row.attrs["data-licenses"]) for row in by_testid(preview, "undo-refund")) == (
        sorted(cotermed.costs.values())
    )

    response = page.post(url, {"token": issue_token(partner_user)}, follow=True)

    assert response.redirect_chain[-1][0] == f"/clients/{cotermed.client.pk}/"
    assert (
        f"The co-terming of Famille SA was cancelled: 2 subscriptions are back on their "
        f"previous end dates (licenses refunded: {cotermed.licenses})."
    ) in text_of(response)
    assert (balance(alpha, tbox), balance(alpha, tsend)) == (100, 100)
    assert ledger_matches(alpha, tbox) and ledger_matches(alpha, tsend)
    assert status_of(cotermed.soon) == Status.EXPIRING
    assert not having(response, "data-undo-kind", "coterm")


def test_a_later_add_on_refuses_it_in_french_naming_the_subscription(
    browse, cotermed, partner_user, alpha, tbox, tsend
):
    services.add_users(actor=partner_user, subscription_id=cotermed.soon.pk, users=1)
    left = (balance(alpha, tbox), balance(alpha, tsend))
    page = browse(partner_user, language="fr")
    url = f"/subscriptions/{cotermed.sending.pk}/cancel-renewal/"

    shown = page.get(url)
    posted = page.post(url, {"token": issue_token(partner_user)})

    for response in (shown, posted):
        assert response.status_code == 200
        [refusal] = by_testid(response, "refusal")
        # The elements' text has its no-break spaces made plain: the page itself has them.
        assert refusal.text.strip() == (
            "Cet alignement des échéances ne peut plus être annulé : une opération a été "
            "faite depuis sur TBox (utilisateurs ajoutés). Annulez d’abord cette opération."
        )
        assert "ne peut plus être annulé\u00a0:" in response.content.decode()
        assert not by_testid(response, "confirm-cancel-renewal")
    assert (balance(alpha, tbox), balance(alpha, tsend)) == left


def test_the_same_refusal_reads_in_english(browse, cotermed, partner_user):
    services.add_users(actor=partner_user, subscription_id=cotermed.soon.pk, users=1)
    page = browse(partner_user)

    response = page.post(f"/subscriptions/{cotermed.sending.pk}/cancel-renewal/",
                         {"token": issue_token(partner_user)})

    [refusal] = by_testid(response, "refusal")
    assert refusal.text.strip() == (
        "This co-terming can no longer be cancelled: a later operation was made on TBox "
        "(users added). Cancel that operation first."
    )


def test_read_only_users_get_403(browse, cotermed, viewer_user, alpha, tbox):
    page = browse(viewer_user)
    url = f"/subscriptions/{cotermed.soon.pk}/cancel-renewal/"
    assert page.get(url).status_code == 403
    assert page.post(url, {"token": issue_token(viewer_user)}).status_code == 403
    assert balance(alpha, tbox) == 100 - cotermed.costs[cotermed.soon.pk]
