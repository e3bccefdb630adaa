"""The durable queue: django-q2's ORM broker, a table in the project's own database.

A task enqueued here is a row written in the caller's transaction, so an event and the
task that sends it commit or roll back together. The broker's claim is a conditional
UPDATE of the row's `lock` time: one cluster wins it, and a task whose worker died is
handed out again once `Q_CLUSTER["retry"]` seconds have passed. The same `lock` column is
what makes a retry wait: a task written with a `lock` in the future is not handed out
before then.
"""

from django_q.brokers.orm import ORM
from django_q.tasks import async_task

TASK = "webhooks.services.sender.deliver"
# Deliveries per task: a task's time limit (settings.Q_CLUSTER) covers this many timeouts.
CHUNK = 4


class _NotBefore(ORM):
    def __init__(self, when):
        super().__init__()
        self.when = when

    def enqueue(self, task):
        return self.get_connection().create(key=self.list_key, payload=task, lock=self.when).pk


def send(delivery_ids, *, when=None):
    """Queues the deliveries (ids), at `when` or as soon as a worker is free."""
    ids = list(delivery_ids)
    for start in range(0, len(ids), CHUNK):
        options = {"task_name": f"webhook-{ids[start]}", "group": "webhooks"}
        if when is not None:
            options["broker"] = _NotBefore(when)
        async_task(TASK, ids[start:start + CHUNK], q_options=options)
