"""Products, clients, subscriptions and their terms, license pools and the ledger.

Nothing here changes a balance: every write to a pool goes through `services/ledger.py`.
"""

from django.conf import settings
from django.db import models
from django.db.models import IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, Scope
from portal.names import COLLATION, Folded

from .dates import local_today
from .status import current_term, status_expression


class Product(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100, db_collation=COLLATION)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name


class TouchedOnUpdate(models.QuerySet):
    """`update()` moves `updated_at` too (as `save()` does through `auto_now`), in the same
    statement; `bulk_update()` goes through it as well. Hand-written SQL sets it itself."""

    def update(self, **columns):
        columns.setdefault("updated_at", timezone.now())
        return super().update(**columns)


class ClientQuerySet(TouchedOnUpdate):
    def visible_to(self, user):
        scope = Scope.for_user(user)
        if scope.sees_nothing:
            return self.none()
        return self.filter(scope.client_filter())


class Client(models.Model):
    """A customer company, managed by a partner and optionally one of its resellers."""

    # French alphabetical order (portal/names.py).
    name = models.CharField(_("name"), max_length=200, db_collation=COLLATION)
    # What the lists' search compares: the name folded once when written, so that a
    # search matching thousands of clients does not fold each of their names again.
    name_folded = models.GeneratedField(
        expression=Folded("name"),
        output_field=models.CharField(max_length=200),
        db_persist=True,
        verbose_name=_("name without accents"),
    )
    partner = models.ForeignKey(
        Organization,
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        related_name="partner_clients",
        limit_choices_to={"kind": "partner"},
    )
    reseller = models.ForeignKey(
        Organization,
        verbose_name=_("reseller"),
        on_delete=models.PROTECT,
        related_name="reseller_clients",
        null=True,
        blank=True,
        limit_choices_to={"kind": "reseller"},
    )
    # A default rather than auto_now_add: an import or the demo may say since when a
    # client has been one, in the INSERT itself.
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    # For the API's `updated_since` (docs/api.md): every writer of the row sets it.
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    objects = ClientQuerySet.as_manager()

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["name", "pk"]
        indexes = [
            models.Index(fields=["partner", "name"]),
            models.Index(fields=["reseller", "name"]),
            models.Index(fields=["name"]),
        ]

    def __str__(self):
        return self.name

    @property
    def paying_organization(self):
        """Rule 2: the reseller pays when there is one, otherwise the partner."""
        return self.reseller if self.reseller_id else self.partner


class SubscriptionQuerySet(TouchedOnUpdate):
    def visible_to(self, user):
        scope = Scope.for_user(user)
        if scope.sees_nothing:
            return self.none()
        # The copies of the client's partner and reseller on the row (see the fields).
        return self.filter(scope.client_filter("client_"))

    def with_status(self, today=None):
        """Annotates `status` (rule 6), the current term and the paying pool (rule 2)."""
        return annotate_current_term(self, today=today)


def annotate_current_term(queryset, *, today=None):
    """`with_status` for any queryset of subscriptions: the status expression and the
    current term (status.py) and the pool that pays (`paying_pool_subquery`)."""
    today = today or local_today()
    return queryset.annotate(
        status=status_expression(today),
        **current_term(today),
        pool_id=paying_pool_subquery(),
    )


def paying_pool_subquery():
    """The pool that pays for a subscription (rule 2): its reseller's, else its partner's."""
    return Subquery(
        LicensePool.objects.filter(
            organization_id=Coalesce(
                OuterRef("client_reseller_id"), OuterRef("client_partner_id")
            ),
            product_id=OuterRef("product_id"),
        )
        # One pool per (organization, product): the model's ordering would only add joins
        # to organization and product and a sort, per row listed.
        .order_by()
        .values("pk")[:1],
        output_field=IntegerField(),
    )


class NotRenewingReason(models.TextChoices):
    PRICE = "price", _("Price")
    COMPETITOR = "competitor", _("Switched to a competitor")
    CLOSED = "closed", _("Company closed")
    NOT_NEEDED = "not_needed", _("No longer needed")
    OTHER = "other", _("Other")


def _copy_of_organization():
    """A copy of one of the client's organizations (see Subscription.client_partner)."""
    return models.ForeignKey(
        Organization,
        on_delete=models.DO_NOTHING,
        null=True,
        editable=False,
        related_name="+",
        db_index=False,
    )


class Subscription(models.Model):
    """A client's right to use one product, over consecutive terms of whole years.

    The latest term is copied here (`term_*`), and the one before it (`previous_*`) while
    the latest is a renewal, so that the status is one SQL expression over this row
    (status.status_expression) instead of a lookup in the terms table per row. The
    services keep these columns and the `Term` rows in step inside one transaction.
    """

    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.PROTECT, related_name="subscriptions"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="subscriptions"
    )
    term_start = models.DateField(_("start of the latest term"))
    term_end = models.DateField(_("end of the latest term"))
    users = models.PositiveIntegerField(_("users of the latest term"))
    years = models.PositiveSmallIntegerField(_("years of the latest term"))
    previous_term_start = models.DateField(_("start of the previous term"), null=True, blank=True)
    previous_term_end = models.DateField(_("end of the previous term"), null=True, blank=True)
    previous_users = models.PositiveIntegerField(_("users of the previous term"), null=True)
    previous_years = models.PositiveSmallIntegerField(_("years of the previous term"), null=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # For the API's `updated_since`: `update()`s and the renewal writer's SQL set it too.
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)
    # Rule 15: a manager's decision that this one will not be renewed (NULL: no mark).
    not_renewing_reason = models.CharField(
        _("reason for not renewing"),
        max_length=16,
        choices=NotRenewingReason.choices,
        null=True,
        blank=True,
    )
    not_renewing_comment = models.CharField(
        _("comment on not renewing"), max_length=500, blank=True, default=""
    )
    not_renewing_at = models.DateTimeField(_("marked not renewing at"), null=True, blank=True)
    not_renewing_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("marked not renewing by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Rule 22: the users and years of the next renewal, both or neither (no plan); a
    # renewal uses them up (renewal_writer clears them).
    renewal_users = models.PositiveIntegerField(
        _("users of the next renewal"), null=True, blank=True
    )
    renewal_years = models.PositiveSmallIntegerField(
        _("years of the next renewal"), null=True, blank=True
    )
    # Rule 23: run_auto_renewals renews it when it falls due.
    auto_renew = models.BooleanField(_("renews automatically"), default=False, db_default=False)
    # Copies of the client's partner, reseller and name and of the product's name. Database
    # triggers keep them equal to the originals (migration 0005): what Python writes here
    # is overwritten, and a change to a client or product reaches its subscriptions in the
    # same transaction. They let the scope, the paying organization and the lists' default
    # order (client name, product name) be read off the subscription's own row and its
    # indexes: counting, classifying or paging every subscription in scope no longer joins
    # every client. Nullable only because SQLite's triggers fill a
    # row right after it is written; never NULL once written (a test holds it).
    client_partner = _copy_of_organization()
    client_reseller = _copy_of_organization()
    client_name = models.CharField(
        max_length=200, editable=False, default="", db_collation=COLLATION
    )
    product_name = models.CharField(
        max_length=100, editable=False, default="", db_collation=COLLATION
    )

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["term_end", "pk"]
        constraints = [
            models.CheckConstraint(
                name="term_end_after_start", condition=Q(term_end__gte=models.F("term_start"))
            ),
            models.CheckConstraint(name="subscription_users_positive", condition=Q(users__gte=1)),
            models.CheckConstraint(name="subscription_years_positive", condition=Q(years__gte=1)),
            models.CheckConstraint(
                name="renewal_plan_whole",
                condition=Q(renewal_users__isnull=True, renewal_years__isnull=True)
                | Q(renewal_users__gte=1, renewal_users__lte=100_000,
                    renewal_years__gte=1, renewal_years__lte=5),
            ),
        ]
        indexes = [
            models.Index(fields=["term_end", "id"]),
            models.Index(fields=["client", "product"]),
            models.Index(
                fields=["client_name", "product_name", "id"], name="subscription_list_order"
            ),
            models.Index(
                fields=["client_partner", "client_name", "product_name", "id"],
                name="subscription_partner_order",
            ),
            models.Index(
                fields=["client_reseller", "client_name", "product_name", "id"],
                name="subscription_reseller_order",
            ),
            # Queued renewals show their previous term: the end date order reads them off
            # this one (selectors.current_end_keys).
            models.Index(
                fields=["previous_term_end", "id"],
                condition=Q(previous_term_end__isnull=False),
                name="subscription_previous_end",
            ),
            # run_auto_renewals reads these by end date; auto_renew_due counts from it alone.
            models.Index(fields=["term_end", "id"], condition=Q(auto_renew=True),
                         include=["not_renewing_reason", "client_partner", "client_reseller",
                                  "term_start", "previous_term_end", "users",
                                  "renewal_users", "renewal_years"],
                         name="subscription_auto_renew_due"),
        ]

    def __str__(self):
        return f"{self.client} — {self.product}"


class TermKind(models.TextChoices):
    CREATION = "creation", _("Creation")
    RENEWAL = "renewal", _("Renewal")
    IMPORT = "import", _("Import")
    # Rule 20: from the day after a term's end (or today, once expired) to a common date.
    COTERM = "coterm", _("Co-term extension")


class Term(models.Model):
    """One paid period of a subscription: whole years, the end being the last covered day."""

    subscription = models.ForeignKey(
        Subscription, verbose_name=_("subscription"), on_delete=models.PROTECT, related_name="terms"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=TermKind.choices)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    users = models.PositiveIntegerField(_("users"))
    years = models.PositiveSmallIntegerField(_("years"))
    licenses = models.PositiveIntegerField(_("licenses debited"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Rule 14: an undone renewal stays (its ledger lines point at it), marked cancelled.
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cancelled by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("term")
        verbose_name_plural = _("terms")
        ordering = ["subscription", "start_date", "pk"]
        constraints = [
            models.CheckConstraint(
                name="term_dates_ordered", condition=Q(end_date__gte=models.F("start_date"))
            ),
        ]

    def __str__(self):
        return f"{self.subscription}: {self.start_date} → {self.end_date}"


class LicensePoolQuerySet(TouchedOnUpdate):
    def visible_to(self, user):
        scope = Scope.for_user(user)
        if scope.sees_nothing:
            return self.none()
        return self.filter(scope.organization_filter("organization__"))


class LicensePool(models.Model):
    """The licenses one organization can still give out for one product."""

    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="pools"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="pools"
    )
    balance = models.BigIntegerField(_("remaining licenses"), default=0)
    # Moved with the balance, in the same UPDATE (services/ledger.py, renewal_writer.py).
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = LicensePoolQuerySet.as_manager()

    class Meta:
        verbose_name = _("license pool")
        verbose_name_plural = _("license pools")
        ordering = ["organization__name", "product__name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "product"], name="one_pool_per_product"
            ),
            # Rule 1: the database itself refuses an overdraft, whatever the code does.
            models.CheckConstraint(name="pool_balance_not_negative", condition=Q(balance__gte=0)),
        ]

    def __str__(self):
        return f"{self.organization} — {self.product}"


class MovementKind(models.TextChoices):
    GRANT = "grant", _("Grant from the publisher")
    ALLOCATION = "allocation", _("Allocation")
    CREATION = "creation", _("Client creation")
    RENEWAL = "renewal", _("Renewal")
    IMPORT = "import", _("Import")
    REVERSAL = "reversal", _("Reversal")
    ADDON = "addon", _("Users added")
    COTERM = "coterm", _("Co-terming")


class LicenseMovementQuerySet(models.QuerySet):
    def visible_to(self, user):
        scope = Scope.for_user(user)
        if scope.sees_nothing:
            return self.none()
        return self.filter(scope.organization_filter("pool__organization__"))


class LicenseMovement(models.Model):
    """One append-only ledger line: a pool's balance is the sum of its movements.

    Lines are never updated or deleted (a trigger refuses it on PostgreSQL); a mistake is
    corrected by a reversing line.
    """

    pool = models.ForeignKey(
        LicensePool, verbose_name=_("pool"), on_delete=models.PROTECT, related_name="movements"
    )
    quantity = models.BigIntegerField(_("quantity"))
    balance_after = models.BigIntegerField(_("balance after"))
    kind = models.CharField(_("kind"), max_length=16, choices=MovementKind.choices)
    subscription = models.ForeignKey(
        Subscription,
        verbose_name=_("subscription"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="movements",
    )
    term = models.ForeignKey(
        Term,
        verbose_name=_("term"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="movements",
    )
    counterpart = models.ForeignKey(
        LicensePool,
        verbose_name=_("counterpart pool"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("date"), auto_now_add=True, db_index=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    objects = LicenseMovementQuerySet.as_manager()

    class Meta:
        verbose_name = _("license movement")
        verbose_name_plural = _("license movements")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="movement_balance_not_negative", condition=Q(balance_after__gte=0)
            ),
            models.CheckConstraint(name="movement_not_zero", condition=~Q(quantity=0)),
        ]
        indexes = [models.Index(fields=["pool", "-created_at"])]

    def __str__(self):
        return f"{self.pool}: {self.quantity:+d}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValueError("Ledger lines are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Ledger lines are append-only.")


class OperationToken(models.Model):
    """A form's one-time token, recorded by the operation it carried out.

    The unique key is what makes a repeated POST (double click, browser retry) debit once:
    the second insert waits for the first transaction and then fails, and the view answers
    with what the first one did.
    """

    key = models.CharField(max_length=100, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+"
    )
    operation = models.CharField(max_length=32)
    result = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("operation token")
        verbose_name_plural = _("operation tokens")

    def __str__(self):
        return f"{self.operation} {self.key}"


# The lifecycle's models (rules 19, 20, 23) and the kept figures, kept in their modules,
# registered from here.
from .models_addon import TermChange  # noqa: E402,F401
from .models_coterm import CoTermDebit, CoTermExtension, CoTerming  # noqa: E402,F401
from .models_figures import (  # noqa: E402,F401
    FigureDay,
    FigureRow,
    FiguresBuckets,
    FiguresChange,
    FiguresState,
)
from .models_plan import AutoRenewClaim, AutoRenewNotice  # noqa: E402,F401
