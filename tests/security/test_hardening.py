"""Hardening: deploy checks, login throttling, security headers, sessions, and the
append-only ledger for the table's owner."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import DatabaseError, connection, transaction
from django.test import Client, override_settings
from django.urls import reverse

from subscriptions.models import LicenseMovement

ROOT = Path(__file__).resolve().parents[2]


def test_check_deploy_reports_nothing_under_make_serves_settings():
    env = {
        key: value for key, value in os.environ.items()
        # The test run's own switches (the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE)
        # are no part of production's environment.
        if key not in {"PORTAL_ALLOW_INSECURE_KEY", "HTTPS", "DEBUG", "PORTAL_PLAIN_STATIC",
                       "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        DEBUG="0", SECRET_KEY=secrets.token_urlsafe(64), ALLOWED_HOSTS="portal.example.com"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)" in result.stdout


# --- login throttling ------------------------------------------------------------------


def attempt(client, username, password):
    return client.post(
        reverse("login"), {"username": username, "password": password},
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_ten_failures_lock_the_username_with_a_clear_message(partner_user):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post(reverse("login"), {"username": "partner", "password": "wrong"})
    # Even the right password, from another client, is refused while it is locked.
    response = attempt(Client(), "partner", "partner")
    assert response.status_code == 429
    assert "_auth_user_id" not in response.wsgi_request.session
    assert b"Too many failed login attempts" in response.content
    assert b'role="alert"' in response.content
    assert settings.AXES_COOLOFF_TIME.total_seconds() >= 5 * 60


def test_successful_logins_never_count_toward_a_lock(partner_user):
    for _ in range(3):
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            Client().post(reverse("login"), {"username": "partner", "password": "wrong"})
        assert attempt(Client(), "partner", "partner").status_code == 302
    for _ in range(20):
        assert attempt(Client(), "partner", "partner").status_code == 302


# --- headers ---------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/accounts/login/", "/", "/admin/login/"])
def test_every_answer_carries_a_strict_policy_and_the_security_headers(client, partner_user, url):
    client.force_login(partner_user)
    response = client.get(url)
    policy = response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in policy
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_no_template_holds_an_inline_script_or_style():
    offenders = []
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        if " style=" in text or "<style" in text:
            offenders.append(str(template))
        for chunk in text.split("<script")[1:]:
            tag = chunk.split(">", 1)[0]
            if "src=" not in tag and "application/json" not in tag:
                offenders.append(str(template))
    assert offenders == []


def test_cookies_are_secure_when_https_is_on():
    env = {**os.environ, "HTTPS": "1", "DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(64),
           "ALLOWED_HOSTS": "portal.example.com"}
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
        " s.SECURE_HSTS_SECONDS > 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import django;django.setup();{code}"], cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "portal.settings"},
        capture_output=True, text=True, timeout=60,
    )
    assert result.stdout.split() == ["True", "True", "True", "True"], result.stderr


@override_settings(SESSION_COOKIE_SECURE=True, CSRF_COOKIE_SECURE=True)
def test_the_session_cookie_is_sent_secure_and_http_only(partner_user):
    client = Client()
    response = attempt(client, "partner", "partner")
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True


# --- sessions --------------------------------------------------------------------------


def test_sessions_expire(partner_user):
    assert settings.SESSION_COOKIE_AGE <= 24 * 3600
    client = Client()
    client.force_login(partner_user)
    assert client.get("/").status_code == 200
    Session.objects.update(expire_date="2000-01-01T00:00:00Z")
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_password_change_logs_out_every_other_session(partner_user):
    laptop, phone = Client(), Client()
    laptop.force_login(partner_user)
    phone.force_login(partner_user)
    response = laptop.post(
        reverse("password_change"),
        {"old_password": "partner", "new_password1": "n3w-Secret-pass",
         "new_password2": "n3w-Secret-pass"},
    )
    assert response.status_code == 302
    # The session that changed it stays in; the other one is logged out.
    assert laptop.get("/").status_code == 200
    assert phone.get("/").status_code == 302


# --- the ledger, for the table's owner ------------------------------------------------


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_the_tables_owner_cannot_update_or_delete_a_ledger_line(alpha, tbox, grant):
    grant(alpha, tbox, 10)
    movement = LicenseMovement.objects.get()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableowner, current_user, (SELECT rolsuper FROM pg_roles "
            "WHERE rolname = current_user) FROM pg_tables WHERE tablename = %s",
            [LicenseMovement._meta.db_table],
        )
        owner, me, superuser = cursor.fetchone()
    assert owner == me and superuser
    for statement in (
        f"UPDATE {LicenseMovement._meta.db_table} SET quantity = 1000 WHERE id = %s",
        f"DELETE FROM {LicenseMovement._meta.db_table} WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement, [movement.pk])
    movement.refresh_from_db()
    assert movement.quantity == 10
