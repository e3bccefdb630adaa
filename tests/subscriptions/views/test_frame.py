"""The frame around every screen: the navbar, the language switcher, the login and error
pages."""

from tests.helpers.html import elements


def test_the_navbar_offers_the_screens_and_a_logout_form(browse, portfolio, partner_user):
    response = browse(partner_user).get("/clients/")
    links = {e.attrs.get("href"): e.text for e in elements(response, lambda t, a: t == "a")}
    for url, label in [
        ("/", "Dashboard"), ("/clients/", "Client list"), ("/renewals/", "Clients to renew"),
        ("/clients/new/", "New client"), ("/licenses/", "Licenses"),
    ]:
        assert links.get(url) == label
    forms = elements(response, lambda tag, attrs: tag == "form")
    assert any(f.attrs.get("action") == "/accounts/logout/" and f.attrs.get("method") == "post"
               for f in forms)


def test_the_language_switcher_keeps_the_current_page(browse, portfolio, partner_user):
    client = browse(partner_user)
    page = client.get("/clients/?status=expired")
    [switcher] = elements(
        page, lambda tag, attrs: tag == "form" and attrs.get("action") == "/i18n/setlang/"
    )
    [next_field] = elements(page, lambda tag, attrs: attrs.get("name") == "next")
    assert next_field.attrs["value"] == "/clients/?status=expired"
    response = client.post("/i18n/setlang/", {"language": "fr", "next": next_field.attrs["value"]})
    assert response.status_code == 302
    assert response["Location"] == "/clients/?status=expired"
    assert switcher


def test_the_login_page_and_error_pages_use_the_portal_look(browse, portfolio, partner_user):
    login = browse().get("/accounts/login/")
    assert login.status_code == 200
    assert b"portal/css/portal.css" in login.content
    assert elements(login, lambda tag, attrs: attrs.get("name") == "username")
    missing = browse(partner_user).get("/clients/999999/")
    assert missing.status_code == 404
    assert b"portal/css/portal.css" in missing.content
