"""The tests' OpenID Connect provider as a running server: django-oidc-provider in its own
Django project (tests/sso_provider/settings.py), started with `manage.py runserver` in a
subprocess on a free loopback port, with its own SQLite database in a temporary folder."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from . import bootstrap

ROOT = Path(__file__).resolve().parents[2]


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Provider:
    client_id = bootstrap.CLIENT_ID
    client_secret = bootstrap.CLIENT_SECRET

    def __init__(self, folder):
        self.folder = Path(folder)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.issuer = f"{self.url}/openid"
        self.log = self.folder / "provider.log"
        self.process = None

    def _env(self):
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "DATABASE_URL", "OIDC_"))
        }
        env["DJANGO_SETTINGS_MODULE"] = "tests.sso_provider.settings"
        env["SSO_PROVIDER_DIR"] = str(self.folder)
        env["PYTHONPATH"] = str(ROOT)
        return env

    def allow(self, *redirect_uris):
        """Registers redirect URIs of the portal's client (and sets the provider up)."""
        subprocess.run(
            [sys.executable, "-m", "tests.sso_provider.bootstrap", *redirect_uris],
            cwd=ROOT, env=self._env(), check=True, capture_output=True, timeout=120,
        )

    def start(self, *redirect_uris):
        self.allow(*redirect_uris)
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "django", "runserver", "--noreload",
                 f"127.0.0.1:{self.port}"],
                cwd=ROOT, env=self._env(), stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the provider stopped: {self.log.read_text()}")
            try:
                if requests.get(self.discovery_url, timeout=2).ok:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the provider did not answer: {self.log.read_text()}")

    @property
    def discovery_url(self):
        return f"{self.issuer}/.well-known/openid-configuration"

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
