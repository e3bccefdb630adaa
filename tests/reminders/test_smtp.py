"""Once through a real SMTP server on loopback: what Django's SMTP backend actually sends."""

import datetime
import email
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller
from django.core import mail

from reminders import services

DAY = datetime.timedelta(days=1)


class _Inbox:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def test_the_digest_reaches_a_real_smtp_server_as_html_and_text(
    smtp_server, today, ending_on, partner_user, settings
):
    controller, inbox = smtp_server
    settings.DEFAULT_FROM_EMAIL = "portal@example.com"
    settings.PORTAL_BASE_URL = "https://portal.example.com"
    subscription = ending_on(today + 7 * DAY, name="Acme")
    connection = mail.get_connection(
        "django.core.mail.backends.smtp.EmailBackend",
        host=controller.hostname,
        port=controller.port,
        timeout=10,
    )

    result = services.send_reminders(today=today, connection=connection)

    assert result.sent == 1
    [envelope] = inbox.envelopes
    assert envelope.mail_from == "portal@example.com"
    assert envelope.rcpt_tos == ["partner@example.com"]
    message = email.message_from_bytes(envelope.original_content, policy=policy.default)
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    renew_url = f"https://portal.example.com/subscriptions/{subscription.pk}/renew/"
    assert "Acme" in text and renew_url in text
    assert "Acme" in html and f'href="{renew_url}"' in html
