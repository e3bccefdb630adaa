"""The WSGI application leaves full garbage collections out of requests (portal/wsgi.py):
they run after a response has been sent, every FULL_EVERY requests, never in the middle
of one. Run in a child process: importing portal.wsgi freezes and retunes the collector
of the process that imports it."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import gc, io, json, sys

from portal import wsgi

state = {"sent": False, "full": []}

def watch(phase, info):
    if phase == "start" and info["generation"] == 2:
        state["full"].append(state["sent"])

gc.callbacks.append(watch)
statuses = set()
for _ in range(120):
    state["sent"] = False
    environ = {
        "REQUEST_METHOD": "GET", "PATH_INFO": "/favicon.ico", "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80", "wsgi.input": io.BytesIO(), "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
    }
    # Garbage in cycles, as a list page's table and rows leave behind.
    for _ in range(3000):
        node = {}
        node["self"] = node
    body = wsgi.application(environ, lambda status, headers: statuses.add(status))
    b"".join(body)
    state["sent"] = True
    body.close()
every = wsgi.FULL_EVERY
print(json.dumps({"full": state["full"], "every": every, "statuses": sorted(statuses)}))
"""


def test_full_collections_run_only_after_a_response_was_sent():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings",
           "PORTAL_ALLOW_INSECURE_KEY": "1", "ALLOWED_HOSTS": "127.0.0.1", "HTTPS": "0"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120, check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["statuses"] == ["302 Found"]  # to the icon among the static files
    # 120 requests: one full collection after the 50th response, one after the 100th.
    assert result["full"] == [True] * (120 // result["every"])
