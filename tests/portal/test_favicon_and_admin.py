"""The browser tab's icon on every page, /favicon.ico, and the admin as the product's:
its name in the header, the title and the index, and django-axes' login locks under a
name an administrator recognises, in French and English."""

import pytest
from django.contrib.staticfiles import finders

from tests.helpers.html import elements, text_of
from tests.helpers.web import browser

pytestmark = pytest.mark.django_db


def _icons(page):
    return {
        attrs_type: href
        for attrs_type, href in (
            (element.attrs.get("type"), element.attrs["href"])
            for element in elements(
                page, lambda tag, attrs: tag == "link" and attrs.get("rel") == "icon"
            )
        )
    }


@pytest.mark.parametrize("url", ["/accounts/login/", "/", "/admin/"])
def test_every_page_names_an_svg_icon_and_a_png_fallback_among_our_static_files(
    url, partner_user, staff
):
    user = staff if url == "/admin/" else partner_user
    page = browser(user).get(url)

    assert page.status_code == 200
    icons = _icons(page)
    assert icons == {
        "image/svg+xml": "/static/portal/img/favicon.svg",
        "image/png": "/static/portal/img/favicon.png",
    }


def test_the_icons_are_an_svg_and_a_png_that_the_static_files_hold():
    with open(finders.find("portal/img/favicon.png"), "rb") as png:
        assert png.read(8) == b"\x89PNG\r\n\x1a\n"
    with open(finders.find("portal/img/favicon.svg"), encoding="utf-8") as svg:
        assert svg.read().startswith("<svg")


def test_favicon_ico_leads_to_the_icon_for_anyone(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"] == "/static/portal/img/favicon.png"


@pytest.mark.parametrize(
    "language, header, title, index, login_security",
    [
        ("en", "Partner Portal", "Partner Portal administration", "Portal administration",
         "Login security"),
        ("fr", "Partner Portal", "Administration de Partner Portal", "Administration du portail",
         "Sécurité des connexions"),
    ],
)
def test_the_admin_speaks_of_the_product_and_names_the_login_locks(
    admin_user, language, header, title, index, login_security
):
    page = browser(admin_user, language=language).get("/admin/")

    text = text_of(page)
    [branding] = elements(page, lambda tag, attrs: attrs.get("id") == "site-name")
    assert " ".join(branding.text.split()) == header
    [head_title] = elements(page, lambda tag, attrs: tag == "title")
    assert head_title.text.strip() == f"{index} | {title}"
    assert "Django" not in text
    assert login_security in text
    assert "Axes" not in text
    # The three screens of the login locks are under that name.
    app = browser(admin_user, language=language).get("/admin/axes/")
    assert app.status_code == 200
    assert login_security in text_of(app)
    for model in ("accessattempt", "accessfailurelog", "accesslog"):
        assert f"/admin/axes/{model}/" in app.content.decode()
