"""django-axes' database handler (`AXES_HANDLER`), which counts every failed login: a wrong
password, a wrong second-step code, a wrong code when turning two-factor off.

axes creates a username's row of failures when there is none. Two failures at once may
both try; the second then reads the first's row, unless a success at the same moment
reset (deleted) it in between (`AXES_RESET_ON_SUCCESS`): its INSERT and its read both
fail, and the request answered 500. The failure is counted once more, in a fresh
savepoint, which creates the row anew. Nothing leaves the handler before that point (no
request flag, no signal), so the second count is the only one."""

from axes.handlers.database import AxesDatabaseHandler
from django.db import IntegrityError, transaction


class AxesHandler(AxesDatabaseHandler):
    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        for attempt in range(2):
            try:
                with transaction.atomic():
                    return super().user_login_failed(sender, credentials, request, **kwargs)
            except IntegrityError:
                if attempt:
                    raise
