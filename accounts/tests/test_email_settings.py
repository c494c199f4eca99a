"""Reset mail goes to the console by default and to SMTP when EMAIL_HOST is set (README, "Configuration")."""

import json
import os
import subprocess
import sys

from django.conf import settings

READ = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({k: getattr(s, k, None) for k in ("
    "'EMAIL_BACKEND', 'EMAIL_HOST', 'EMAIL_PORT', 'EMAIL_HOST_USER', 'EMAIL_HOST_PASSWORD', "
    "'EMAIL_USE_TLS', 'DEFAULT_FROM_EMAIL')}))"
)


def mail_settings(**env) -> dict:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("EMAIL_", "DEFAULT_FROM"))}
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", READ],
        cwd=settings.BASE_DIR,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "test-only", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_without_email_host_mail_goes_to_the_console():
    found = mail_settings()
    assert found["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert found["DEFAULT_FROM_EMAIL"] == "Mastermind Online <noreply@localhost>"


def test_an_empty_email_host_as_compose_passes_it_is_the_console_too():
    found = mail_settings(EMAIL_HOST="", EMAIL_PORT="", EMAIL_USE_TLS="", DEFAULT_FROM_EMAIL="")
    assert found["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert found["DEFAULT_FROM_EMAIL"] == "Mastermind Online <noreply@localhost>"


def test_email_host_sends_through_smtp_with_the_other_settings():
    found = mail_settings(
        EMAIL_HOST="smtp.example.com",
        EMAIL_PORT="2525",
        EMAIL_HOST_USER="mm",
        EMAIL_HOST_PASSWORD="pw",
        EMAIL_USE_TLS="0",
        DEFAULT_FROM_EMAIL="MM <mm@example.com>",
    )
    assert found == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "smtp.example.com",
        "EMAIL_PORT": 2525,
        "EMAIL_HOST_USER": "mm",
        "EMAIL_HOST_PASSWORD": "pw",
        "EMAIL_USE_TLS": False,
        "DEFAULT_FROM_EMAIL": "MM <mm@example.com>",
    }


def test_smtp_defaults_to_port_587_with_starttls():
    found = mail_settings(EMAIL_HOST="smtp.example.com")
    assert found["EMAIL_PORT"] == 587
    assert found["EMAIL_USE_TLS"] is True
