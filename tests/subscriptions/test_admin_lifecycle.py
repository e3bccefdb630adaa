"""The admin's read-only pages for add-on lines and co-termings (rules 19–21): they render
for staff, with their rows and filters, in a fixed number of queries; nobody else gets in,
and nothing can be added, changed or deleted there."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from subscriptions import services
from subscriptions.models import CoTermDebit, CoTermExtension, CoTerming, TermChange
from tests.helpers.web import queries_for

User = get_user_model()
DAY = datetime.timedelta(days=1)

pytestmark = pytest.mark.usefixtures("plain_http")

MODELS = ["termchange", "coterming", "cotermextension", "cotermdebit"]


@pytest.fixture
def lifecycle(alpha, tbox, tsend, grant, make_subscription, partner_user, today):
    """cotermed(n): n more clients, each with a TBox and a TSend aligned on a third one's
    end; the very first co-terming undone, users added to the TBox of the others (the
    first add-on undone too)."""
    grant(alpha, tbox, 1000)
    grant(alpha, tsend, 1000)
    made = []

    def _cotermed(n):
        for _ in range(n):
            soon = make_subscription(alpha, tbox, start=today - 300 * DAY,
                                     end=today + 20 * DAY, users=4)
            sending = make_subscription(alpha, tsend, start=today - 300 * DAY,
                                        end=today + 40 * DAY, users=2, client=soon.client)
            later = make_subscription(alpha, tbox, start=today - 200 * DAY,
                                      end=today + 100 * DAY, users=3, client=soon.client)
            services.coterm_subscriptions(
                actor=partner_user, client_id=soon.client_id, end=later.term_end,
                subscription_ids=[soon.pk, sending.pk],
            )
            if made:
                services.add_users(actor=partner_user, subscription_id=soon.pk, users=1)
            if len(made) < 2:
                services.undo_last_operation(actor=partner_user, subscription_id=soon.pk)
            made.append(soon)

    return _cotermed


@pytest.mark.parametrize("model", MODELS)
def test_each_list_renders_for_staff_without_a_query_per_row(admin_client, lifecycle, model):
    url = reverse(f"admin:subscriptions_{model}_changelist")
    lifecycle(2)
    few = queries_for(admin_client, url)
    lifecycle(3)
    many = queries_for(admin_client, url)

    assert many == few
    page = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    # Five co-termings of two subscriptions and two pools each; four add-ons, each on a
    # current term and its queued extension.
    assert len(page.context["cl"].result_list) == {
        "termchange": 8, "coterming": 5, "cotermextension": 10, "cotermdebit": 10,
    }[model]
    assert not page.context["has_add_permission"]


def test_the_co_terming_list_filters_the_undone_and_counts_extensions(admin_client, lifecycle):
    lifecycle(2)
    url = reverse("admin:subscriptions_coterming_changelist")

    undone = admin_client.get(url, {"cancelled": "yes"}).context["cl"].result_list
    standing = admin_client.get(url, {"cancelled": "no"}).context["cl"].result_list

    assert [row.cancelled_at is not None for row in undone] == [True]
    assert len(standing) == 1 and standing[0].extended_count == 2
    changes = admin_client.get(reverse("admin:subscriptions_termchange_changelist"),
                               {"cancelled": "yes"}).context["cl"].result_list
    assert len(changes) == 2 and all(change.cancelled_at for change in changes)


def test_the_change_pages_render_read_only(admin_client, lifecycle):
    lifecycle(2)
    objects = {
        "termchange": TermChange.objects.first(),
        "coterming": CoTerming.objects.first(),
        "cotermextension": CoTermExtension.objects.first(),
        "cotermdebit": CoTermDebit.objects.first(),
    }
    for model, obj in objects.items():
        page = admin_client.get(reverse(f"admin:subscriptions_{model}_change", args=[obj.pk]))
        assert page.status_code == 200, model
        assert 'name="_save"' not in page.content.decode()
        assert admin_client.get(reverse(f"admin:subscriptions_{model}_add")).status_code == 403
        assert admin_client.post(
            reverse(f"admin:subscriptions_{model}_delete", args=[obj.pk]), {"post": "yes"}
        ).status_code == 403
    assert CoTerming.objects.count() == 2


def test_only_staff_get_in(client, lifecycle, partner_user):
    lifecycle(2)
    client.force_login(partner_user)
    for model in MODELS:
        response = client.get(reverse(f"admin:subscriptions_{model}_changelist"))
        assert response.status_code == 302 and "/login/" in response["Location"]
