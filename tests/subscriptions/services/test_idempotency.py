"""Doing a write once: the forms' one-time tokens (issued for one user, signed, refused when
stale or forged) and the API's Idempotency-Key (same key, same answer, one run)."""

import pytest
from django.contrib.auth import get_user_model

from api.models import IdempotentRequest
from subscriptions import services
from subscriptions.models import OperationToken
from subscriptions.services import idempotency
from subscriptions.services.idempotency import issue_token, token_is_valid


def test_it_accepts_a_token_only_from_the_user_it_was_issued_to(partner_user, reseller_user):
    token = issue_token(partner_user)
    assert token_is_valid(partner_user, token)
    assert not token_is_valid(reseller_user, token)
    assert issue_token(partner_user) != token


@pytest.mark.parametrize("token", [None, "", 42, "forged:token", "x" * 101])
def test_it_refuses_a_missing_or_forged_token(partner_user, token):
    assert not token_is_valid(partner_user, token)


def test_it_refuses_a_tampered_token(partner_user, reseller_user):
    token = issue_token(partner_user)
    value, _sep, signature = token.rpartition(":")
    forged = value.replace(f"{partner_user.pk}:", f"{reseller_user.pk}:", 1) + ":" + signature
    assert not token_is_valid(reseller_user, forged)


def test_it_refuses_a_stale_token(settings, partner_user):
    token = issue_token(partner_user)
    settings.OPERATION_TOKEN_MAX_AGE = -1
    assert not token_is_valid(partner_user, token)


def test_it_issues_tokens_that_fit_the_token_column(db):
    # The largest id of auth's user table (a 32-bit integer column).
    user = get_user_model().objects.create_user("big", pk=2_147_483_647)
    token = issue_token(user)
    assert len(token) <= OperationToken._meta.get_field("key").max_length
    assert token_is_valid(user, token)


# --- the API's Idempotency-Key ----------------------------------------------------------


def test_a_key_runs_its_operation_once_and_replays_the_answer(partner_user):
    calls = []

    def operation():
        calls.append(1)
        return 201, {"done": len(calls)}

    fingerprint = idempotency.fingerprint("POST", "/api/v1/x/", {"years": 1})
    first = idempotency.answer_once(
        user=partner_user, key="k1", fingerprint=fingerprint, operation=operation
    )
    again = idempotency.answer_once(
        user=partner_user, key="k1", fingerprint=fingerprint, operation=operation
    )
    assert (first.status_code, first.body, first.replayed) == (201, {"done": 1}, False)
    assert (again.status_code, again.body, again.replayed) == (201, {"done": 1}, True)
    assert calls == [1]


def test_a_key_reused_for_another_request_is_refused(partner_user):
    first = idempotency.fingerprint("POST", "/api/v1/x/", {"years": 1})
    other = idempotency.fingerprint("POST", "/api/v1/x/", {"years": 2})
    idempotency.answer_once(
        user=partner_user, key="k1", fingerprint=first, operation=lambda: (201, {})
    )
    with pytest.raises(idempotency.KeyReused):
        idempotency.answer_once(
            user=partner_user, key="k1", fingerprint=other, operation=lambda: (201, {})
        )


def test_a_key_is_one_users_own(partner_user, reseller_user):
    fingerprint = idempotency.fingerprint("POST", "/api/v1/x/", {})
    for user in (partner_user, reseller_user):
        answer = idempotency.answer_once(
            user=user, key="shared", fingerprint=fingerprint,
            operation=lambda user=user: (201, {"user": user.username}),
        )
        assert (answer.body, answer.replayed) == ({"user": user.username}, False)


def test_a_key_whose_operation_failed_is_not_kept(partner_user):
    fingerprint = idempotency.fingerprint("POST", "/api/v1/x/", {})

    def failing():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        idempotency.answer_once(
            user=partner_user, key="k1", fingerprint=fingerprint, operation=failing
        )
    assert not IdempotentRequest.objects.filter(key="k1").exists()


def test_a_used_form_token_tells_what_it_did(alpha, alpha_reseller, tbox, grant, partner_user):
    grant(alpha, tbox, 100)
    token = issue_token(partner_user)
    assert idempotency.form_result(token, operation="allocate") is None
    services.allocate_licenses(
        partner=alpha, reseller=alpha_reseller, product=tbox, quantity=3,
        direction=services.GIVE, actor=partner_user, token=token,
    )
    assert idempotency.form_result(token, operation="allocate")["quantity"] == 3
    assert idempotency.form_result(token, operation="import") is None
