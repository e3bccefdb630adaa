"""The add-users page (docs/rules.md rule 19, docs/interface.md): the split and the
balance before OK, the refusals at the field in the user's language, the redirect and its
message, who may use it, and what the client record and the lists offer and show."""

import datetime

import pytest
from django.urls import reverse

from subscriptions import services
from subscriptions.dates import local_today, span_cost
from subscriptions.models import Subscription
from subscriptions.models_addon import TermChange
from subscriptions.services.idempotency import issue_token
from tests.helpers.html import by_testid, field_has_error, figure, having, text_of, token_of
from tests.helpers.ledger import balance, ledger_size

pytestmark = pytest.mark.django_db


def url(subscription):
    return reverse("add_users", args=[subscription.pk])


def test_the_form_shows_the_cost_of_one_user_and_the_pool(browse, partner_user, portfolio):
    sub = portfolio.expiring
    page = browse(partner_user, language="fr").get(url(sub))
    assert page.status_code == 200
    assert "Ajouter des utilisateurs" in text_of(page)
    [cost] = by_testid(page, "addon-cost")
    assert figure(cost.text) == span_cost(1, local_today(), sub.term_end) == 1
    [pool] = by_testid(page, "pool-balance")
    assert figure(pool.text) == 100 and pool.attrs["data-pool-id"]
    [part] = by_testid(page, "addon-part")
    assert part.attrs["data-term"] == "current"
    assert by_testid(page, "balance-after")[0].text.strip() == "99"


def test_a_renewed_subscription_shows_both_terms(browse, partner_user, portfolio):
    sub = portfolio.expiring
    services.renew_subscription(actor=partner_user, subscription_id=sub.pk, years=3)
    page = browse(partner_user).get(url(sub))
    parts = by_testid(page, "addon-part")
    assert [part.attrs["data-term"] for part in parts] == ["current", "queued"]
    assert figure(by_testid(page, "addon-cost")[0].text) == 1 + 3


def test_ok_adds_and_redirects_to_the_record_with_a_message(
    browse, partner_user, portfolio, alpha, tbox
):
    sub = portfolio.expiring
    client = browse(partner_user, language="fr")
    form = client.get(url(sub))
    response = client.post(url(sub), {"users": "6", "token": token_of(form)}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("client_detail", args=[sub.client_id])
    assert "Utilisateurs ajoutés à l’abonnement TBox du client Expiring SA\u00a0: 6" in (
        response.content.decode()
    )
    assert Subscription.objects.get(pk=sub.pk).users == 10
    assert balance(alpha, tbox) == 99
    [change] = by_testid(response, "term-change")
    assert change.attrs["data-users-added"] == "6" and change.attrs["data-licenses"] == "1"
    # The record's undo button now says it takes back the users added.
    [button] = by_testid(response, "cancel-renewal")
    assert button.attrs["data-undo-kind"] == "addon"
    assert "Annuler l’ajout d’utilisateurs" in button.text


def test_the_same_form_sent_twice_adds_once(browse, partner_user, portfolio, alpha, tbox):
    sub = portfolio.expiring
    client = browse(partner_user)
    token = token_of(client.get(url(sub)))
    client.post(url(sub), {"users": "6", "token": token})
    again = client.post(url(sub), {"users": "6", "token": token})
    assert again.status_code == 302
    assert Subscription.objects.get(pk=sub.pk).users == 10
    assert balance(alpha, tbox) == 99


@pytest.mark.parametrize("users", ["0", "100001", "-3", "abc", ""])
def test_bad_users_are_refused_at_the_field_in_french(browse, partner_user, portfolio, users):
    sub = portfolio.expiring
    client = browse(partner_user, language="fr")
    before = ledger_size(), TermChange.objects.count()
    response = client.post(url(sub), {"users": users, "token": issue_token(partner_user)})
    assert response.status_code == 200
    assert field_has_error(response, "users")
    text = text_of(response)
    assert "Assurez-vous" in text or "Saisissez" in text or "obligatoire" in text
    assert (ledger_size(), TermChange.objects.count()) == before


def test_past_the_total_of_100_000_users_is_refused_at_the_field(
    browse, partner_user, portfolio
):
    sub = portfolio.expiring
    response = browse(partner_user, language="fr").post(
        url(sub), {"users": "99999", "token": issue_token(partner_user)}
    )
    assert response.status_code == 200 and field_has_error(response, "users")
    assert "Le nombre d’utilisateurs à ajouter" in text_of(response)
    assert Subscription.objects.get(pk=sub.pk).users == 4


def test_a_pool_too_short_is_refused_at_the_field_naming_the_missing_licenses(
    browse, partner_user, portfolio, alpha, tbox
):
    sub = portfolio.expiring
    response = browse(partner_user, language="fr").post(
        url(sub), {"users": "5000", "token": issue_token(partner_user)}
    )
    assert response.status_code == 200 and field_has_error(response, "users")
    assert "manquent" in text_of(response) or "manque" in text_of(response)
    assert balance(alpha, tbox) == 100


def test_an_expired_subscription_says_to_renew_it(browse, partner_user, portfolio):
    page = browse(partner_user, language="fr").get(url(portfolio.expired))
    assert page.status_code == 200
    assert by_testid(page, "not-addable")
    assert "renouvelez-le" in text_of(page)
    before = ledger_size()
    response = browse(partner_user, language="fr").post(
        url(portfolio.expired), {"users": "1", "token": issue_token(partner_user)}
    )
    assert response.status_code == 200 and "renouvelez-le" in text_of(response)
    assert ledger_size() == before
    assert Subscription.objects.get(pk=portfolio.expired.pk).users == 3


def test_read_only_users_get_403_and_other_tenants_404(
    browse, viewer_user, other_partner_user, portfolio, alpha, tbox
):
    sub = portfolio.expiring
    viewer = browse(viewer_user)
    assert viewer.get(url(sub)).status_code == 403
    posted = viewer.post(url(sub), {"users": "1", "token": issue_token(viewer_user)})
    assert posted.status_code == 403
    other = browse(other_partner_user)
    assert other.get(url(sub)).status_code == 404
    assert other.post(
        url(sub), {"users": "1", "token": issue_token(other_partner_user)}
    ).status_code == 404
    assert balance(alpha, tbox) == 100


def test_the_record_and_the_lists_offer_it_to_managers_when_the_status_allows(
    browse, partner_user, viewer_user, portfolio
):
    record = reverse("client_detail", args=[portfolio.expiring.client_id])
    assert by_testid(browse(partner_user).get(record), "add-users")
    assert not by_testid(browse(viewer_user).get(record), "add-users")
    expired_record = reverse("client_detail", args=[portfolio.expired.client_id])
    assert not by_testid(browse(partner_user).get(expired_record), "add-users")

    for name in ("client_list", "renewals"):
        page = browse(partner_user).get(reverse(name))
        links = {link.attrs["href"] for link in by_testid(page, "add-users")}
        assert url(portfolio.expiring) in links
        assert url(portfolio.expired) not in links
        assert not by_testid(browse(viewer_user).get(reverse(name)), "add-users")


def test_the_undo_page_says_it_undoes_the_users_added(browse, partner_user, portfolio, alpha, tbox):
    sub = portfolio.expiring
    services.add_users(actor=partner_user, subscription_id=sub.pk, users=6)
    client = browse(partner_user, language="fr")
    page = client.get(reverse("cancel_renewal", args=[sub.pk]))
    [what] = by_testid(page, "undo-what")
    assert what.attrs["data-undo-kind"] == "addon"
    response = client.post(reverse("cancel_renewal", args=[sub.pk]),
                           {"token": issue_token(partner_user)}, follow=True)
    assert "Les derniers utilisateurs ajoutés" in text_of(response)
    assert balance(alpha, tbox) == 100
    assert Subscription.objects.get(pk=sub.pk).users == 4
    assert having(response, "data-cancelled", "1")
    assert not by_testid(response, "cancel-renewal")


def test_an_add_on_a_week_old_is_offered_no_undo(browse, partner_user, portfolio):
    sub = portfolio.expiring
    services.add_users(actor=partner_user, subscription_id=sub.pk, users=6)
    TermChange.objects.update(created_at=TermChange.objects.get().created_at
                              - datetime.timedelta(days=8))
    record = browse(partner_user).get(reverse("client_detail", args=[sub.client_id]))
    assert not by_testid(record, "cancel-renewal")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_add_users_and_renewal_pages_share_the_current_term_card_and_notice(
    browse, partner_user, portfolio, language
):
    """One include serves both pages: the card shows the current term, and a status that
    allows neither form shows its notice in the reader's language with a way back."""
    page = browse(partner_user, language=language)
    cases = [
        (url(portfolio.expired), "not-addable",
         {"fr": "renouvelez-le", "en": "renew it instead of adding users"}),
        (f"/subscriptions/{portfolio.not_started.pk}/renew/", "not-renewable",
         {"fr": "n’a pas encore commencé", "en": "has not started yet"}),
    ]
    for address, testid, said in cases:
        response = page.get(address)
        [notice] = by_testid(response, testid)
        assert said[language] in notice.text
        subscription = portfolio.expired if testid == "not-addable" else portfolio.not_started
        assert by_testid(response, "current-users")[0].text == str(subscription.users)
        assert having(response, "href", f"/clients/{subscription.client_id}/")
