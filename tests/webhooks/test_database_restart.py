"""A real PostgreSQL restart in the middle of deliveries loses no event (`pytest -m load`,
a separate step of .ci/run, like tests/security/test_load.py).

On a PRIVATE cluster (tests/helpers/cluster.py; never the machine's shared server):
renewals through the service layer record their events, the real worker (`manage.py
qcluster`, as `make serve` starts it) posts them to a real receiver on loopback that
fails, then hangs; PostgreSQL is restarted (`pg_ctl restart -m fast`) while a POST is in
flight and others wait for their retry; then the receiver recovers. Every event arrives,
signed as Standard Webhooks says, each message under one `webhook-id` and one body on
every try, and the database says every delivery was delivered.
"""

import json
import os
import subprocess
import sys

import pytest
from standardwebhooks import Webhook

from tests.helpers.cluster import sql
from tests.webhooks.worker import ROOT, kill_worker, start_worker, until

pytestmark = pytest.mark.load

EVENTS = 6
TIMEOUT = 3
# Enough retries to outlast the restart (a few seconds): a delivery that ran out of them
# would be failed and its endpoint disabled, which this test would report as lost.
RETRY_DELAYS = "1,1,1,2,2,2,3,3,3,5,5,5"

# Run by `manage.py shell -c` against the cluster: the test process's own Django
# connection is the test database, not the cluster.
SETUP = """
import datetime, json, os
from django.contrib.auth import get_user_model
from accounts.models import Membership, Organization, OrganizationKind, Role
from subscriptions import services
from subscriptions.dates import local_today
from subscriptions.models import Client, Product, Subscription, Term, TermKind
from webhooks.models import Event
from webhooks.services.endpoints import create_endpoint

today = local_today()
start = today - datetime.timedelta(days=365)
partner = Organization.objects.create(kind=OrganizationKind.PARTNER, name="Alpha Distribution")
manager = get_user_model().objects.create_user("partner", "partner@example.com", "partner")
Membership.objects.create(user=manager, organization=partner, role=Role.MANAGER)
tbox = Product.objects.create(code="TBOX", name="TBox")
services.grant_licenses(partner=partner, product=tbox, quantity=100)
endpoint = create_endpoint(actor=manager, organization_id=partner.pk,
                           url=os.environ["RECEIVER_URL"], events=["subscription.renewed"])
for n in range(int(os.environ["EVENTS"])):
    client = Client.objects.create(name=f"Société {n:03d}", partner=partner)
    subscription = Subscription.objects.create(client=client, product=tbox, term_start=start,
                                               term_end=today, users=5, years=1)
    Term.objects.create(subscription=subscription, kind=TermKind.CREATION, start_date=start,
                        end_date=today, users=5, years=1)
    services.renew_subscription(actor=manager, subscription_id=subscription.pk, years=1)
print(json.dumps({"secret": endpoint.secret, "messages": dict(
    Event.objects.values_list("message_id", "body"))}))
"""


@pytest.fixture
def environment(cluster, tmp_path, receiver):
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DATABASE_URL=cluster["url"], DEBUG="0", PORTAL_ALLOW_INSECURE_KEY="1",
        WEBHOOK_ALLOW_PRIVATE="1", WEBHOOK_TIMEOUT=str(TIMEOUT), WEBHOOK_WORKERS="2",
        WEBHOOK_RETRY_DELAYS=RETRY_DELAYS, CACHE_DIR=str(tmp_path / "cache"),
        RECEIVER_URL=receiver.url, EVENTS=str(EVENTS), LOG_LEVEL="INFO",
    )
    return env


def manage(env, *args):
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture
def worker(environment, tmp_path):
    process = start_worker(environment, tmp_path / "worker.log")
    yield process
    kill_worker(process)


def test_a_database_restart_mid_delivery_loses_no_event(
    cluster, environment, receiver, request, tmp_path
):
    url = cluster["url"]
    manage(environment, "migrate", "--noinput", "-v0")
    receiver.then = "503"
    created = json.loads(manage(environment, "shell", "-c", SETUP).strip().splitlines()[-1])
    messages = created["messages"]
    assert len(messages) == EVENTS
    assert sql(url, "SELECT count(*) FROM webhooks_delivery WHERE state = 'pending'") == [
        [str(EVENTS)]]

    request.getfixturevalue("worker")
    # Every delivery fails once and waits for its retry; then the receiver hangs, so that
    # a retry is in flight when PostgreSQL goes down.
    assert receiver.wait_for(EVENTS, timeout=60), "the worker never posted every event"
    postmaster_started = sql(url, "SELECT pg_postmaster_start_time()")
    receiver.then = "hang"
    with receiver.arrived:
        assert receiver.arrived.wait_for(
            lambda: any(r["behaviour"] == "hang" for r in receiver.requests), 30
        ), "no retry came"
    cluster["restart"]()
    assert sql(url, "SELECT pg_postmaster_start_time()") != postmaster_started
    receiver.then = "200"

    def all_delivered():
        return sql(url, "SELECT count(*) FROM webhooks_delivery WHERE state = 'delivered'") == [
            [str(EVENTS)]]

    assert until(all_delivered, 180, every=0.5), (
        "a delivery was lost in the restart; the worker's log ends with:\n"
        + (tmp_path / "worker.log").read_text()[-4000:]
    )
    requests = receiver.requests
    delivered = {r["headers"]["webhook-id"] for r in requests if r["behaviour"] == "200"}
    assert delivered == set(messages)
    for sent in requests:
        # One webhook-id per message on every try, with that message's body, signed.
        message_id = sent["headers"]["webhook-id"]
        assert message_id in messages
        assert sent["body"].decode() == messages[message_id]
        Webhook(created["secret"]).verify(sent["body"], sent["headers"])
    assert sql(url, "SELECT enabled FROM webhooks_endpoint") == [["t"]]
