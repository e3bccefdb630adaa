"""docs/api.md's example session runs as it is written: every `$` line of it, in one shell,
against a demo server (`make run`'s settings: DEBUG on, the demo data, an SQLite file of
its own), and every answer has the shape the guide shows under its command."""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "api.md"
DEMO_BASE = "http://127.0.0.1:8000"

pytestmark = [
    pytest.mark.skipif(
        connection.vendor == "postgresql",
        reason="the guide's session runs once, on its own SQLite file, in the SQLite pass",
    ),
    pytest.mark.skipif(shutil.which("curl") is None, reason="the guide's session uses curl"),
    pytest.mark.skipif(
        not (ROOT / ".venv" / "bin" / "python").exists(),
        reason="the guide's key command runs .venv/bin/python, which `make` creates",
    ),
]


def session_steps(text):
    """[(command, shown answer lines)] of the section "An example session", in order."""
    section = text.split("## An example session", 1)[1].split("\n## ", 1)[0]
    steps = []
    for block in re.findall(r"```sh\n(.*?)```", section, flags=re.S):
        lines = block.splitlines()
        index = 0
        while index < len(lines):
            line = lines[index]
            index += 1
            if not line.startswith("$ "):
                continue
            command = line[2:]
            while command.endswith("\\"):
                command = command[:-1] + " " + lines[index].strip()
                index += 1
            shown = []
            while index < len(lines) and lines[index] and not lines[index].startswith(
                ("$ ", "#")
            ):
                shown.append(lines[index])
                index += 1
            steps.append((command, shown))
    return steps


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def demo_server(tmp_path):
    """`make run`'s server on a port of its own: DEBUG on, migrated, the demo data loaded."""
    # The second terminal's: none of the settings the tests set, only where the data is
    # (the default SQLite file of a clone, here one of the test's own).
    shell = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DEBUG", "HTTPS", "SECRET_KEY", "PORTAL_ALLOW_INSECURE_KEY"}
    }
    shell["DATABASE_URL"] = f"sqlite:///{tmp_path / 'guide.sqlite3'}"
    env = {**shell, "DEBUG": "1"}
    manage = [sys.executable, str(ROOT / "manage.py")]
    for step in (["migrate", "--noinput", "-v", "0"], ["seed_demo", "--if-empty"]):
        subprocess.run([*manage, *step], env=env, cwd=ROOT, check=True,
                       capture_output=True, timeout=300)
    base = f"http://127.0.0.1:{_free_port()}"
    server = subprocess.Popen(
        [*manage, "runserver", base.removeprefix("http://"), "--noreload"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/accounts/login/", timeout=2)
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        else:
            pytest.fail("the demo server did not start")
        yield base, shell
    finally:
        server.terminate()
        server.wait(timeout=30)


def _keys(text):
    return set(re.findall(r'"([a-z_]+)":', text))


def test_every_command_of_the_guide_runs_and_answers_what_it_shows(demo_server):
    base, env = demo_server
    steps = session_steps(GUIDE.read_text(encoding="utf-8"))
    commands = [command for command, _shown in steps if command != "make run"]
    assert len(commands) >= 20, "the session lost its commands"
    marker = "@@@ step {} exit $status @@@"
    script = "\n".join(
        f"{command.replace(DEMO_BASE, base)}\nstatus=$?; echo; echo \"{marker.format(number)}\""
        for number, command in enumerate(commands)
    )
    ran = subprocess.run(["bash", "-c", script], env=env, cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    outputs = re.split(r"@@@ step \d+ exit (\d+) @@@\n?", ran.stdout)
    answers = dict(zip(commands, zip(outputs[1::2], outputs[0::2], strict=False), strict=False))
    assert len(answers) == len(commands), ran.stderr

    for command, shown in steps:
        if command == "make run":
            continue
        status, answer = answers[command]
        assert status == "0", f"{command}\n{ran.stderr}"
        if not shown:
            continue
        expected = "\n".join(shown)
        if expected.startswith("{"):
            missing = _keys(expected) - _keys(answer)
            assert not missing, f"{command}: no {sorted(missing)} in {answer[:500]}"
            problem = re.search(r'"type":"([^"]+)"', expected)
            if problem:
                assert problem.group(0) in answer, answer
        else:
            lines = {line.strip() for line in answer.splitlines()}
            for line in shown:
                assert line.strip() in lines, f"{command}: {line!r} not in {answer!r}"
