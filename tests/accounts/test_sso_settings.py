"""Single sign-on's variables are checked at start: a half configuration or a provider
reached in plain HTTP stops the start with a message naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD = {
    "OIDC_ISSUER": "https://login.example.com/realms/partners",
    "OIDC_CLIENT_ID": "partner-portal",
    "OIDC_CLIENT_SECRET": "s3cret",
}


def check(**variables):
    env = {key: value for key, value in os.environ.items() if not key.startswith("OIDC_")}
    env.update(variables, PORTAL_ALLOW_INSECURE_KEY="1")
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=120,
    )


def test_a_whole_configuration_starts_without_reaching_the_provider():
    result = check(**GOOD)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"OIDC_CLIENT_ID": ""}, "OIDC_CLIENT_ID is required when OIDC_ISSUER is set"),
        ({"OIDC_CLIENT_SECRET": ""}, "OIDC_CLIENT_SECRET is required when OIDC_ISSUER is set"),
        ({"OIDC_ISSUER": "http://login.example.com/realms/partners"},
         "OIDC_ISSUER must be an https:// address"),
        ({"OIDC_ISSUER": "login.example.com"}, "OIDC_ISSUER must be an https:// address"),
    ],
)
def test_a_wrong_configuration_stops_the_start(changes, message):
    result = check(**{**GOOD, **changes})
    assert result.returncode != 0
    assert message in result.stderr
