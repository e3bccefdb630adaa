"""Hostile input: random values in every form, list parameter and command argument, and
tampered requests. Never a 500; a refusal changes nothing (balances, ledger, terms)."""

import io
import json
import subprocess
import sys
import tempfile

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from subscriptions.management import partner_from_argument, product_from_argument
from subscriptions.models import LicenseMovement, Term
from tests.helpers.html import token_of
from tests.helpers.ledger import ledger_state
from webhooks.models import Endpoint

EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Random strings, huge and negative numbers, unicode, empty values, out-of-range dates.
hostile = st.one_of(
    st.text(max_size=60),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(
        ["", " ", "0", "-1", "1e9", "NaN", "٣", "１", "9" * 400, "0001-01-01", "9999-12-31",
         "10000-01-01", "31/02/2026", "2026-13-40", "null", "'; DROP TABLE x; --", "\x00",
         "<script>", "%00", "1.5", "TBOX", "give", "take"]
    ),
)

# A command's arguments come from argv, which cannot hold a NUL byte (C strings).
argument = hostile.filter(lambda value: "\x00" not in value)


@pytest.fixture
def scene(alpha, alpha_reseller, beta_reseller, tbox, tsend, grant, make_subscription, today,
          partner_user):
    grant(alpha, tbox, 1000)
    grant(alpha_reseller, tbox, 1000)
    subscription = make_subscription(
        alpha, tbox, start=today.replace(year=today.year - 1), end=today, users=5
    )
    client = Client(raise_request_exception=False)
    client.force_login(partner_user)
    return {"client": client, "subscription": subscription}


def check(response, before):
    assert response.status_code < 500
    if response.status_code != 302:
        assert ledger_state() == before


@EXAMPLES
@given(years=hostile, users=hostile, with_token=st.booleans())
def test_the_renewal_form_survives_anything(scene, years, users, with_token):
    client, url = scene["client"], reverse("renew", args=[scene["subscription"].pk])
    token = token_of(client.get(url)) if with_token else ""
    before = ledger_state()
    check(client.post(url, {"years": years, "users": users, "token": token}), before)


@EXAMPLES
@given(name=hostile, users=hostile, years=hostile, start=hostile, reseller=hostile,
       product=hostile)
def test_the_new_client_form_survives_anything(scene, name, users, years, start, reseller,
                                               product):
    client, url = scene["client"], reverse("client_new")
    token = token_of(client.get(url))
    before = ledger_state()
    response = client.post(url, {
        "name": name, "users": users, "years": years, "start_date": start,
        "reseller": reseller, "product": product, "token": token,
    })
    check(response, before)


@EXAMPLES
@given(reseller=hostile, product=hostile, quantity=hostile, direction=hostile)
def test_the_allocation_form_survives_anything(scene, reseller, product, quantity, direction):
    client, url = scene["client"], reverse("allocate")
    token = token_of(client.get(url))
    before = ledger_state()
    response = client.post(url, {
        "reseller": reseller, "product": product, "quantity": quantity,
        "direction": direction, "token": token,
    })
    check(response, before)


@EXAMPLES
@given(
    page=st.sampled_from(["client_list", "renewals", "licenses"]),
    params=st.dictionaries(
        st.sampled_from(["status", "product", "reseller", "q", "end_from", "end_to", "sort",
                         "page", "per_page", "kind", "organization", "date_from", "date_to"]),
        hostile, max_size=5,
    ),
)
def test_the_lists_survive_any_filter_sort_or_page(scene, page, params):
    before = ledger_state()
    response = scene["client"].get(reverse(page), params)
    assert response.status_code in (200, 404)
    assert ledger_state() == before


@EXAMPLES
@given(
    params=st.dictionaries(
        st.sampled_from(["action", "who", "date_from", "date_to", "q", "sort", "page",
                         "per_page", "export"]),
        hostile, max_size=5,
    ),
)
def test_the_audit_log_survives_any_filter_sort_page_or_export(scene, params):
    response = scene["client"].get(reverse("account_audit"), params)
    assert response.status_code in (200, 404)
    if params.get("export") == "csv":
        assert response["Content-Type"].startswith("text/csv")
        b"".join(response.streaming_content)

@EXAMPLES
@given(partner=st.one_of(argument, st.just("Alpha Distribution")),
       product=st.one_of(argument, st.just("TBOX")),
       quantity=st.one_of(argument, st.integers(1, 10**7).map(str)),
       note=st.text(max_size=600).filter(lambda value: "\x00" not in value))
@example(partner="Alpha Distribution", product="tbox", quantity="25", note="x" * 600)
def test_grant_licenses_refuses_bad_arguments_cleanly(scene, partner, product, quantity, note):
    before = ledger_state()
    try:
        call_command("grant_licenses", partner, product, quantity, note=note,
                     stdout=io.StringIO(), stderr=io.StringIO())
    except CommandError:
        assert ledger_state() == before
        return
    # Accepted: every argument named something real, and exactly that grant was written.
    pools, movements, terms, clients = ledger_state()
    assert (movements, terms, clients) == (before[1] + 1, before[2], before[3])
    line = LicenseMovement.objects.select_related("pool").latest("pk")
    assert (line.kind, line.quantity, line.note) == ("grant", int(quantity), note[:500])
    assert line.pool.organization == partner_from_argument(partner)
    assert line.pool.product == product_from_argument(product)
    assert sum(b for _pk, b in pools) == sum(b for _pk, b in before[0]) + int(quantity)


@EXAMPLES
@given(partner=st.one_of(st.none(), argument), within=st.one_of(st.none(), argument),
       output=st.sampled_from(["table", "csv", "json"]))
def test_renewals_due_refuses_bad_arguments_cleanly(scene, partner, within, output):
    """Run or refused, never a crash: a refusal is a CommandError (manage.py's message and
    non-zero exit) naming the argument at fault, and nothing printed is a traceback."""
    args = ["--format", output]
    if partner is not None:
        args += ["--partner", partner]
    if within is not None:
        args += [f"--within-months={within}"]
    window_is_wrong = within is not None and not _is_window(within)
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("renewals_due", *args, stdout=out, stderr=err)
    except CommandError as refusal:
        message = str(refusal)
        named = {
            "--within-months": "--within-months" in message,
            "--partner": "partner" in message.lower(),
        }
        if not window_is_wrong:
            # A window it accepts leaves the partner the only argument at fault.
            assert partner is not None and named["--partner"], message
        elif partner is None:
            assert named["--within-months"], message
        else:
            # Both may be wrong: whichever the command reads first is named.
            assert named["--within-months"] or named["--partner"], message
    else:
        assert not window_is_wrong, f"--within-months={within!r} was accepted"
        assert _in_format(out.getvalue(), output)
    assert "Traceback" not in out.getvalue() + err.getvalue()


def _is_window(within):
    """What renewals_due accepts as --within-months: a whole number of months, 1 to 24
    (docs/interface.md); argparse reads it with int()."""
    try:
        return 1 <= int(within) <= 24
    except ValueError:
        return False


def _in_format(output, output_format):
    if output_format == "json":
        return isinstance(json.loads(output), list)
    if output_format == "csv":
        return output.startswith("id,client,")
    return output.rstrip().endswith("companies.")


@pytest.mark.parametrize("argument, message", [
    ("--within-months=x", "argument --within-months: invalid int value: 'x'"),
    ("--within-months=99", "--within-months must be from 1 to 24, not 99."),
])
def test_renewals_due_exits_non_zero_with_a_message_and_no_traceback(argument, message):
    # Refused before any query: the command line needs no database of its own.
    done = subprocess.run(
        [sys.executable, "manage.py", "renewals_due", argument],
        cwd=django_settings.BASE_DIR, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode != 0
    assert message in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


@EXAMPLES
@given(lines=st.lists(st.lists(hostile, min_size=0, max_size=7), max_size=4),
       partner=argument)
def test_import_clients_refuses_bad_files_cleanly(scene, lines, partner):
    rows = ["client;reseller;product;users;start_date;end_date"]
    rows += [";".join(cell.replace("\n", " ").replace("\r", " ").replace("\x00", "")
                      for cell in line) for line in lines]
    before = ledger_state()
    with tempfile.NamedTemporaryFile("w", suffix=".csv", encoding="utf-8") as handle:
        handle.write("\n".join(rows) + "\n")
        handle.flush()
        try:
            call_command("import_clients", handle.name, "--partner", partner,
                         stdout=io.StringIO(), stderr=io.StringIO())
        except (CommandError, SystemExit):
            assert ledger_state() == before


# --- tampered requests ----------------------------------------------------------------


def test_a_renewal_without_a_token_changes_nothing(scene):
    before = ledger_state()
    url = reverse("renew", args=[scene["subscription"].pk])
    response = scene["client"].post(url, {"years": "1", "users": "5"})
    assert response.status_code in (200, 400)
    assert ledger_state() == before


def test_a_stale_token_is_refused(scene, settings):
    url = reverse("renew", args=[scene["subscription"].pk])
    token = token_of(scene["client"].get(url))
    # Any age is older than a negative maximum: the token has expired.
    settings.OPERATION_TOKEN_MAX_AGE = -1
    before = ledger_state()
    response = scene["client"].post(url, {"years": "1", "users": "5", "token": token})
    assert response.status_code in (200, 400)
    assert ledger_state() == before


def test_a_wrong_csrf_token_is_refused(scene, partner_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(partner_user)
    url = reverse("renew", args=[scene["subscription"].pk])
    token = token_of(client.get(url))
    before = ledger_state()
    response = client.post(url, {"years": "1", "users": "5", "token": token,
                                 "csrfmiddlewaretoken": "x" * 64})
    assert response.status_code == 403
    assert ledger_state() == before


def test_a_token_of_subscription_a_posted_to_b_never_renews_a(
    scene, alpha, tbox, make_subscription, today
):
    """Tokens belong to a user and a single use, not to a subscription: posted to B, the
    token of A's form renews B (the user asked for B, on B's URL, within their scope);
    A's form then answers that it was already submitted and A is not renewed."""
    a = scene["subscription"]
    b = make_subscription(alpha, tbox, start=today.replace(year=today.year - 1), end=today)
    client = scene["client"]
    token = token_of(client.get(reverse("renew", args=[a.pk])))
    client.post(reverse("renew", args=[b.pk]), {"years": "1", "users": "5", "token": token})
    terms_of_a = Term.objects.filter(subscription=a).count()
    before = ledger_state()
    response = client.post(reverse("renew", args=[a.pk]),
                           {"years": "1", "users": "5", "token": token})
    assert response.status_code == 302
    assert Term.objects.filter(subscription=a).count() == terms_of_a
    assert ledger_state() == before


@EXAMPLES
@given(action=hostile | st.sampled_from(["enrol", "recovery_codes", "turn_off"]), code=hostile)
def test_the_two_factor_page_survives_anything(scene, partner_user, action, code):
    client = scene["client"]
    client.get(reverse("account_security"))
    response = client.post(reverse("account_security"), {"action": action, "code": code})
    assert response.status_code < 500
    # No random code confirms an authenticator (the chance is one in a hundred thousand).
    assert not TOTPDevice.objects.filter(user=partner_user, confirmed=True).exists()


@EXAMPLES
@given(code=hostile)
def test_the_logins_second_step_survives_anything(scene, partner_user, code):
    TOTPDevice.objects.get_or_create(user=partner_user, name="app", confirmed=True)
    client = Client(raise_request_exception=False)
    client.post(reverse("login"), {"username": "partner", "password": "partner"})
    response = client.post(reverse("login_code"), {"code": code})
    assert response.status_code < 500
    assert "_auth_user_id" not in client.session


@EXAMPLES
@given(url=hostile, events=st.lists(hostile | st.just("pool.low"), max_size=3))
def test_the_webhooks_form_survives_anything(scene, url, events):
    response = scene["client"].post(reverse("webhooks"), {"url": url, "events": events})
    assert response.status_code < 500
    # Nothing hostile is a public http(s) URL with known events: nothing is added.
    assert not Endpoint.objects.exists()


@EXAMPLES
@given(code=hostile, state=hostile, error=hostile, next_url=hostile, started=st.booleans())
def test_the_single_sign_on_callback_survives_anything(
    scene, partner_user, sso, code, state, error, next_url, started
):
    # Against the tests' real provider (tests/sso_provider): a made-up answer signs nobody in.
    client = Client(raise_request_exception=False)
    if started:
        assert client.get(reverse("sso_login"), {"next": next_url}).status_code < 500
    query = {"code": code, "state": state}
    if error:
        query["error"] = error
    response = client.get(reverse("sso_callback"), query)
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
@pytest.mark.parametrize("name", ["renew", "client_new", "allocate", "client_list",
                                  "licenses", "account_users", "account_user_invite",
                                  "account_security", "login_code", "webhooks"])
def test_methods_a_view_does_not_allow_answer_405(scene, method, name):
    args = [scene["subscription"].pk] if name == "renew" else []
    response = getattr(scene["client"], method)(reverse(name, args=args))
    assert response.status_code == 405
