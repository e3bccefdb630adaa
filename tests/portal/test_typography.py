"""French typography and numbers on the pages people read (docs/interface.md, *Numbers*):
in French no straight apostrophe, a no-break space before : ; ! ?, and figures grouped with
a narrow no-break space (2 981); in English the same figures grouped with a comma (2,981)."""

import datetime
import re

import pytest

from tests.helpers.html import visible_text

pytestmark = pytest.mark.usefixtures("plain_http")

POOL = 2981
# An ASCII space (or a line break) before : ; ! ? is the typo, and so is a word glued to
# it ("Partenaire:"); a time (10:30) or an address (https://) is not caught.
SPACE_BEFORE_PUNCTUATION = re.compile(r" [:;!?]")
GLUED_PUNCTUATION = re.compile(r"[^\W\d][:;!?](?!//)|[)»\]][:;!?]")


@pytest.fixture
def shop(alpha, tbox, grant, make_subscription, today):
    grant(alpha, tbox, POOL)
    expiring = make_subscription(
        alpha, tbox, end=today + datetime.timedelta(days=10), name="Garage Dupont"
    )
    make_subscription(
        alpha, tbox, end=today + datetime.timedelta(days=200), name="Boulangerie Martin"
    )
    return expiring


def _pages(subscription):
    client = subscription.client_id
    return [
        "/",
        "/clients/",
        "/clients/?by=company",
        "/renewals/",
        "/licenses/",
        f"/clients/{client}/",
        f"/subscriptions/{subscription.pk}/renew/",
        "/clients/new/",
        "/licenses/allocate/",
    ]


def _walk(browse, user, language, subscription):
    client = browse(user, language=language)
    for url in _pages(subscription):
        response = client.get(url)
        assert response.status_code == 200, url
        yield url, visible_text(response)


@pytest.mark.parametrize("who", ["partner_user", "staff"])
def test_french_pages_write_french_typography(request, browse, shop, who):
    user = request.getfixturevalue(who)
    for url, text in _walk(browse, user, "fr", shop):
        assert "'" not in text, (url, re.findall(r".{0,30}'.{0,30}", text))
        assert not SPACE_BEFORE_PUNCTUATION.search(text), (
            url, re.findall(r".{0,30} [:;!?].{0,10}", text)
        )
        assert not GLUED_PUNCTUATION.search(text), (
            url, [text[max(0, m.start() - 30) : m.end() + 10]
                  for m in GLUED_PUNCTUATION.finditer(text)]
        )


# Where a partner sees its pool (the dashboard shows it only when the pool runs short).
def _pool_pages(subscription):
    return ["/licenses/", f"/subscriptions/{subscription.pk}/renew/", "/clients/new/"]


@pytest.mark.parametrize(("language", "written"), [("fr", "2\u202f981"), ("en", "2,981")])
def test_the_pool_is_written_the_page_way(browse, shop, partner_user, language, written):
    client = browse(partner_user, language=language)
    for url in _pool_pages(shop):
        text = visible_text(client.get(url))
        assert written in text, (url, language)
        assert "2981" not in text, url


@pytest.mark.parametrize(("language", "written"), [("fr", "2\u202f981"), ("en", "2,981")])
def test_staff_see_the_pool_written_the_page_way(browse, shop, staff, language, written):
    text = visible_text(browse(staff, language=language).get("/licenses/"))
    assert written in text
    assert "2981" not in text


@pytest.mark.parametrize("who", ["partner_user", "staff"])
def test_english_pages_group_with_a_comma(request, browse, shop, who):
    user = request.getfixturevalue(who)
    for url, text in _walk(browse, user, "en", shop):
        assert "\u202f" not in text, url
        if url == "/licenses/":
            assert "2,981" in text
