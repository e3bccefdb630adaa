import pytest
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.models import OrmQ

from tests.webhooks.receiver import Receiver
from webhooks.services.endpoints import create_endpoint


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def webhook_settings(settings):
    """Loopback receivers, quick timeouts and retries that wait for nothing."""
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_TIMEOUT = 1
    settings.WEBHOOK_RETRY_DELAYS = [0, 0, 0]
    return settings


@pytest.fixture
def endpoint_for(webhook_settings, receiver):
    def _endpoint(organization, events=("subscription.renewed",), url=None, actor=None):
        return create_endpoint(
            actor=actor, organization_id=organization.pk, url=url or receiver.url,
            events=list(events),
        )

    return _endpoint


def run_queue(limit=50):
    """Runs the queue's due tasks here, as a django-q2 worker would, until none is due:
    the rows the broker hands out (lock time past), each acknowledged once run."""
    ran = 0
    while ran < limit:
        task_row = OrmQ.objects.filter(lock__lte=timezone.now()).order_by("pk").first()
        if task_row is None:
            return ran
        task = task_row.task
        import_string(task["func"])(*task["args"], **task["kwargs"])
        task_row.delete()
        ran += 1
    raise AssertionError("the queue did not empty")
