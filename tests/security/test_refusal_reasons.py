"""A refusal says why, in the user's language: a reseller's manager refused a page that
only the partner's managers use is told so, not that read-only users change nothing;
read-only users keep their own message."""

import pytest

from tests.helpers.html import by_testid
from tests.helpers.web import browser

pytestmark = pytest.mark.django_db

READ_ONLY = {
    "en": "Read-only users can look at everything in their scope but change nothing.",
    "fr": "Les utilisateurs en lecture seule",
}
PARTNER_ONLY = {
    ("/licenses/allocate/", "en"): "Only the partner's managers can give licenses to resellers.",
    ("/licenses/allocate/", "fr"): (
        "Seuls les gestionnaires du partenaire peuvent attribuer des licences aux revendeurs."
    ),
    ("/account/organization/", "en"): (
        "Only the partner's managers can change its renewal settings."
    ),
    ("/account/organization/", "fr"): (
        "Seuls les gestionnaires du partenaire peuvent modifier ses réglages de renouvellement."
    ),
}


def _reason(response):
    assert response.status_code == 403
    [reason] = by_testid(response, "refusal-reason")
    return " ".join(reason.text.split())


@pytest.mark.parametrize("url", ["/licenses/allocate/", "/account/organization/"])
@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_resellers_manager_is_told_the_page_is_the_partners_managers(
    reseller_user, url, language
):
    reason = _reason(browser(reseller_user, language=language).get(url))

    assert reason == PARTNER_ONLY[(url, language)]
    assert READ_ONLY[language] not in reason


@pytest.mark.parametrize("url", ["/licenses/allocate/", "/account/organization/"])
@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_read_only_user_keeps_the_read_only_message(viewer_user, url, language):
    reason = _reason(browser(viewer_user, language=language).get(url))

    assert READ_ONLY[language] in reason
