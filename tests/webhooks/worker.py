"""The real webhook worker (`manage.py qcluster`, as `make serve` starts it) run by the
tests in a process of its own, and a wait for what it does."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def start_worker(env, log_path):
    """qcluster with `env`, its output in `log_path`. Its own process group: `kill_worker`
    then reaches the cluster and every process it started."""
    log = open(log_path, "w")  # noqa: SIM115 - closed by kill_worker
    process = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env,
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    process.log = log
    return process


def kill_worker(process):
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(10)
    process.log.close()


def until(condition, seconds, every=0.2):
    """Whether `condition()` came true within `seconds`, asked every `every` seconds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return False
