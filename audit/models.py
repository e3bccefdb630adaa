"""The audit log: one append-only row per action that changed something or touched
security (docs/rules.md rule 24), written in the same transaction as the change.

Rows are never updated or deleted: the model and its queryset refuse it, a trigger
refuses an UPDATE (PostgreSQL and SQLite), and on PostgreSQL a DELETE of any row younger
than two years (the retention period), for every role (migration 0001). The actor and
the organization are kept by id and by name, without a database constraint, so that a
row outlives the user or the organization it names and deleting them never has to touch
the log.
"""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, Scope


class Action(models.TextChoices):
    LOGIN = "login", _("Login")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOGOUT = "logout", _("Logout")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    RENEWAL = "renewal", _("Renewal")
    AUTO_RENEWAL = "auto_renewal", _("Automatic renewal")
    UNDO = "undo", _("Undo")
    USERS_ADDED = "users_added", _("Users added")
    COTERM = "coterm", _("Co-terming")
    AUTO_RENEW_CHANGED = "auto_renew_changed", _("Auto-renew changed")
    PLAN_CHANGED = "plan_changed", _("Renewal plan changed")
    NOT_RENEWING = "not_renewing", _("Marked not renewing")
    NOT_RENEWING_CLEARED = "not_renewing_cleared", _("Not-renewing mark removed")
    CLIENT_CREATED = "client_created", _("Client created")
    SUBSCRIPTION_ADDED = "subscription_added", _("Subscription added")
    IMPORT = "import", _("Import")
    ALLOCATION = "allocation", _("Allocation")
    GRANT = "grant", _("Grant")
    MEMBER_INVITED = "member_invited", _("Member invited")
    ROLE_CHANGED = "role_changed", _("Role changed")
    MEMBERSHIP_ADDED = "membership_added", _("Membership added")
    MEMBERSHIP_REMOVED = "membership_removed", _("Membership removed")
    PERMISSIONS_CHANGED = "permissions_changed", _("Staff rights changed")
    MEMBER_DEACTIVATED = "member_deactivated", _("Member deactivated")
    MEMBER_REACTIVATED = "member_reactivated", _("Member reactivated")
    SETTINGS_CHANGED = "settings_changed", _("Settings changed")
    MFA_ENABLED = "mfa_enabled", _("Two-factor login enabled")
    MFA_DISABLED = "mfa_disabled", _("Two-factor login disabled")
    MFA_RESET = "mfa_reset", _("Two-factor login reset")
    MFA_RECOVERY_CODES = "mfa_recovery_codes", _("New recovery codes")
    TOKEN_CREATED = "token_created", _("API token created")
    TOKEN_REVOKED = "token_revoked", _("API token revoked")
    WEBHOOK_CHANGED = "webhook_changed", _("Webhook changed")


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValueError("Audit entries are append-only.")

    def delete(self):
        raise ValueError("Audit entries are append-only.")

    def visible_to(self, user):
        """A partner's rows and its resellers', a reseller's own; staff every row. Rows
        of no organization (a staff member's login, an unknown username) are staff's."""
        scope = Scope.for_user(user)
        if scope.sees_nothing:
            return self.none()
        if scope.everything:
            return self.all()
        return self.filter(
            organization_id__in=Organization.objects.filter(
                scope.organization_filter()
            ).values("pk")
        )


class AuditEntry(models.Model):
    """Who did what, when, from where, with the values before and after."""

    created_at = models.DateTimeField(_("date"), auto_now_add=True, db_index=True)
    action = models.CharField(_("action"), max_length=32, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.DO_NOTHING,
        db_constraint=False, null=True, blank=True, related_name="+",
    )
    # The username then, or "system: <command>" for what no user did.
    actor_name = models.CharField(_("who"), max_length=200, blank=True)
    # "web", "api" or the command's name.
    source = models.CharField(_("source"), max_length=100, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.DO_NOTHING,
        db_constraint=False, null=True, blank=True, related_name="+",
    )
    organization_name = models.CharField(_("organization"), max_length=200, blank=True)
    object_type = models.CharField(_("object type"), max_length=40, blank=True)
    object_id = models.CharField(_("object id"), max_length=40, blank=True)
    object_label = models.CharField(_("object"), max_length=300, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(_("after"), null=True, blank=True, encoder=DjangoJSONEncoder)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organization", "-created_at"])]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.actor_name}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValueError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit entries are append-only.")

    def get_action_display(self):
        try:
            return Action(self.action).label
        except ValueError:
            return self.action
