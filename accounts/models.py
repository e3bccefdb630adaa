"""Organizations of the channel (publisher, partners, resellers) and who works for them.

Scope (docs/rules.md rule 11) starts here: `Scope.for_user(user)` says which organizations a
user acts for, and every `visible_to(user)` queryset method of the project is built on it.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from portal.names import COLLATION


class OrganizationKind(models.TextChoices):
    PUBLISHER = "publisher", _("Publisher")
    PARTNER = "partner", _("Partner")
    RESELLER = "reseller", _("Reseller")


class Role(models.TextChoices):
    MANAGER = "manager", _("Manager")
    READ_ONLY = "read_only", _("Read-only")


def _membership(user):
    """The user's membership with its organization, or None: already in hand when the user
    was read by accounts.backends.PortalBackend (every request), else read now."""
    # The user model's descriptor: `type(user)` of request.user is its lazy wrapper.
    descriptor = get_user_model().membership
    if descriptor.is_cached(user):
        return descriptor.related.get_cached_value(user)
    return Membership.objects.select_related("organization").filter(user=user).first()


def membership_of(user):
    """The user's membership with its organization, or None (no query on a request: the
    backend read it with the user)."""
    return _membership(user)


@dataclass(frozen=True)
class Scope:
    """What one user may see: everything (publisher staff), a partner and its resellers,
    or one reseller. An anonymous or unattached user sees nothing."""

    everything: bool = False
    organization_id: int | None = None
    kind: str | None = None
    can_manage: bool = False
    organization_name: str = ""

    @classmethod
    def for_user(cls, user):
        if user is None or not user.is_authenticated or not user.is_active:
            return cls()
        cached = getattr(user, "_portal_scope", None)
        if cached is not None:
            return cached
        if user.is_staff or user.is_superuser:
            scope = cls(everything=True, can_manage=True)
        else:
            membership = _membership(user)
            if membership is None or membership.organization.kind == OrganizationKind.PUBLISHER:
                scope = cls(
                    everything=membership is not None,
                    can_manage=membership is not None and membership.role == Role.MANAGER,
                )
            else:
                scope = cls(
                    organization_id=membership.organization_id,
                    kind=membership.organization.kind,
                    can_manage=membership.role == Role.MANAGER,
                    organization_name=membership.organization.name,
                )
        user._portal_scope = scope
        return scope

    @property
    def sees_nothing(self):
        return not self.everything and self.organization_id is None

    def client_column(self, prefix=""):
        """The column that holds a client's organization of this scope's kind
        (`{prefix}partner_id` or `{prefix}reseller_id`); None for everything or nothing.
        Raw SQL filters on it (selectors/figures.py, the renewal's locked read in
        services/locks.py) as `client_filter` does."""
        if self.everything or self.kind not in (
            OrganizationKind.PARTNER, OrganizationKind.RESELLER
        ):
            return None
        return f"{prefix}{self.kind}_id"

    def client_filter(self, prefix=""):
        """A Q object selecting the clients this scope holds (prefix reaches the client)."""
        if self.everything:
            return Q()
        column = self.client_column(prefix)
        if column is None:
            return Q(pk__in=[])
        return Q(**{column: self.organization_id})

    def organization_filter(self, prefix=""):
        """A Q object selecting the organizations whose pools and data this scope holds."""
        if self.everything:
            return Q()
        if self.kind == OrganizationKind.PARTNER:
            return Q(**{f"{prefix}pk": self.organization_id}) | Q(
                **{f"{prefix}parent_id": self.organization_id}
            )
        if self.kind == OrganizationKind.RESELLER:
            return Q(**{f"{prefix}pk": self.organization_id})
        return Q(pk__in=[])


DEFAULT_REMINDER_DAYS = (90, 30, 7)
MAX_REMINDER_THRESHOLDS = 5
MAX_REMINDER_DAYS = 365


def parse_reminder_days(value):
    """"90, 30,7" -> (90, 30, 7), latest first; empty -> (). Raises ValidationError."""
    text = (value or "").strip()
    if not text:
        return ()
    days = set()
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit() or not 1 <= int(part) <= MAX_REMINDER_DAYS:
            raise ValidationError(
                _(
                    "“%(value)s” is not a number of days between 1 and %(max)s: write day "
                    "counts separated by commas, for example 90, 30, 7."
                ),
                code="invalid_day",
                params={"value": part, "max": MAX_REMINDER_DAYS},
            )
        days.add(int(part))
    if len(days) > MAX_REMINDER_THRESHOLDS:
        raise ValidationError(
            _("At most %(max)s reminders before the end date."),
            code="too_many",
            params={"max": MAX_REMINDER_THRESHOLDS},
        )
    return tuple(sorted(days, reverse=True))


def validate_reminder_days(value):
    parse_reminder_days(value)


class OrganizationQuerySet(models.QuerySet):
    def visible_to(self, user):
        scope = Scope.for_user(user)
        if scope.sees_nothing:
            return self.none()
        return self.filter(scope.organization_filter())

    def partners(self):
        return self.filter(kind=OrganizationKind.PARTNER)

    def resellers(self):
        return self.filter(kind=OrganizationKind.RESELLER)


class Organization(models.Model):
    kind = models.CharField(_("kind"), max_length=16, choices=OrganizationKind.choices)
    # French alphabetical order (portal/names.py).
    name = models.CharField(_("name"), max_length=200, db_collation=COLLATION)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="resellers",
        help_text=_("For a reseller: the partner it belongs to."),
    )
    renewal_window_months = models.PositiveSmallIntegerField(
        _("renewal window (months)"),
        null=True,
        blank=True,
        help_text=_("1 to 12; empty means the portal's default. Set on partners."),
    )
    reminder_days = models.CharField(
        _("reminder days before the end"),
        max_length=40,
        blank=True,
        default="",
        validators=[validate_reminder_days],
        help_text=_(
            "Days before the end date when renewal reminders are sent, separated by commas "
            "(at most 5, 1 to 365 each); empty means 90, 30, 7. The reminder the day after "
            "the end is always sent. Set on partners."
        ),
    )
    require_mfa = models.BooleanField(
        _("require two-factor login"),
        default=False,
        help_text=_(
            "Members without two-factor login who log in with their password must set it "
            "up before they can reach any other page."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                name="reseller_has_partner",
                condition=(Q(kind=OrganizationKind.RESELLER) & Q(parent__isnull=False))
                | (~Q(kind=OrganizationKind.RESELLER) & Q(parent__isnull=True)),
            ),
            models.CheckConstraint(
                name="renewal_window_1_to_12",
                condition=Q(renewal_window_months__isnull=True)
                | Q(renewal_window_months__gte=1, renewal_window_months__lte=12),
            ),
        ]
        indexes = [models.Index(fields=["kind", "name"])]

    def __str__(self):
        return self.name

    @property
    def is_partner(self):
        return self.kind == OrganizationKind.PARTNER

    @property
    def is_reseller(self):
        return self.kind == OrganizationKind.RESELLER

    @property
    def reminder_thresholds(self):
        """Days before the end date of this partner's reminders, latest first."""
        try:
            return parse_reminder_days(self.reminder_days) or DEFAULT_REMINDER_DAYS
        except ValidationError:
            # A value written around the form's validation must not stop the reminders.
            return DEFAULT_REMINDER_DAYS

    @cached_property
    def partner(self):
        """The partner this organization belongs to (itself for a partner)."""
        return self.parent if self.is_reseller else self


class PartnerManager(models.Manager.from_queryset(OrganizationQuerySet)):
    def get_queryset(self):
        return super().get_queryset().filter(kind=OrganizationKind.PARTNER)


class ResellerManager(models.Manager.from_queryset(OrganizationQuerySet)):
    def get_queryset(self):
        return super().get_queryset().filter(kind=OrganizationKind.RESELLER)


class Partner(Organization):
    """A distributor: holds pools, manages clients, has resellers."""

    objects = PartnerManager()

    class Meta:
        proxy = True
        verbose_name = _("partner")
        verbose_name_plural = _("partners")

    def save(self, *args, **kwargs):
        self.kind = OrganizationKind.PARTNER
        super().save(*args, **kwargs)


class Reseller(Organization):
    """A sub-partner of exactly one partner; holds its own pools."""

    objects = ResellerManager()

    class Meta:
        proxy = True
        verbose_name = _("reseller")
        verbose_name_plural = _("resellers")

    def save(self, *args, **kwargs):
        self.kind = OrganizationKind.RESELLER
        super().save(*args, **kwargs)


class Membership(models.Model):
    """A portal user belongs to exactly one organization, with one role in it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="membership",
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MANAGER)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self):
        return f"{self.user} — {self.organization} ({self.get_role_display()})"
