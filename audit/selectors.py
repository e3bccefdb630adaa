"""What the audit log reads, scoped in one place: a partner's rows and its resellers', a
reseller's own, every row for publisher staff, nothing for anyone else (rule 24)."""

from .models import AuditEntry


def entries(user):
    """The rows `user` may read, newest first."""
    return AuditEntry.objects.visible_to(user).select_related("organization").order_by(
        "-created_at", "-pk"
    )
