"""What the API answers and accepts. Figures of a subscription are its current term's
(the `with_status` annotations), as on the screens."""

from django.core.exceptions import ObjectDoesNotExist
from rest_framework import serializers

from subscriptions import services
from subscriptions.models import (
    Client,
    LicenseMovement,
    NotRenewingReason,
    Subscription,
    Term,
    TermKind,
)
from subscriptions.status import Status

UPDATED_AT_HELP = ("When the object last changed (ISO 8601); the lists' `updated_since` "
                   "filter reads it.")


def updated_at_field(help_text=UPDATED_AT_HELP, **kwargs):
    return serializers.DateTimeField(help_text=help_text, **kwargs)


class ClientSerializer(serializers.ModelSerializer):
    partner = serializers.IntegerField(source="partner_id")
    partner_name = serializers.CharField(source="partner.name")
    reseller = serializers.IntegerField(source="reseller_id", allow_null=True)
    reseller_name = serializers.CharField(source="reseller.name", allow_null=True, default=None)
    updated_at = updated_at_field()

    class Meta:
        model = Client
        fields = ["id", "name", "partner", "partner_name", "reseller", "reseller_name",
                  "updated_at"]


class QueuedTermSerializer(serializers.Serializer):
    start_date = serializers.DateField(source="term_start")
    end_date = serializers.DateField(source="term_end")
    users = serializers.IntegerField()
    years = serializers.IntegerField()


class NotRenewingSerializer(serializers.Serializer):
    """A manager's mark that this subscription will not be renewed: why, who, when."""

    reason = serializers.ChoiceField(source="not_renewing_reason",
                                     choices=NotRenewingReason.choices)
    reason_label = serializers.CharField(source="get_not_renewing_reason_display")
    comment = serializers.CharField(source="not_renewing_comment", allow_blank=True)
    marked_at = serializers.DateTimeField(source="not_renewing_at", allow_null=True)
    marked_by = serializers.CharField(source="not_renewing_by.username", allow_null=True,
                                      default=None)


class CancelledTermSerializer(serializers.Serializer):
    """A cancelled renewal, kept as history: its debit and its refund point at it."""

    id = serializers.IntegerField()
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    users = serializers.IntegerField()
    years = serializers.IntegerField()
    licenses = serializers.IntegerField(help_text="Licenses debited, then refunded.")
    created_at = serializers.DateTimeField(help_text="When the renewal was made.")
    cancelled_at = serializers.DateTimeField()
    cancelled_by = serializers.CharField(source="cancelled_by.username", allow_null=True,
                                         default=None)


def cancelled_renewals():
    """The undone renewals, latest first (prefetched as `cancelled_renewals`)."""
    return (
        Term.objects.filter(kind=TermKind.RENEWAL, cancelled_at__isnull=False)
        .select_related("cancelled_by")
        .order_by("-cancelled_at", "-pk")
    )


class SubscriptionSerializer(serializers.ModelSerializer):
    client = serializers.IntegerField(source="client_id")
    client_name = serializers.CharField(source="client.name")
    product = serializers.CharField(source="product.code")
    product_name = serializers.CharField(source="product.name")
    reseller = serializers.IntegerField(source="client.reseller_id", allow_null=True)
    status = serializers.ChoiceField(choices=Status.ALL)
    start_date = serializers.DateField(source="current_start")
    end_date = serializers.DateField(source="current_end")
    users = serializers.IntegerField(source="current_users")
    years = serializers.IntegerField(source="current_years")
    pool = serializers.IntegerField(source="pool_id", allow_null=True)
    queued_renewal = serializers.SerializerMethodField()
    not_renewing = serializers.SerializerMethodField()
    last_cancelled_renewal = serializers.SerializerMethodField()
    updated_at = updated_at_field()

    class Meta:
        model = Subscription
        fields = [
            "id", "client", "client_name", "product", "product_name", "reseller", "status",
            "start_date", "end_date", "users", "years", "pool", "queued_renewal",
            "not_renewing", "last_cancelled_renewal", "auto_renew", "renewal_users",
            "renewal_years", "updated_at",
        ]
        extra_kwargs = {
            "auto_renew": {"help_text": "Renewed automatically, a few days before its end, "
                           "from the pool that pays for it."},
            "renewal_users": {"help_text": "Users of the next renewal; null with "
                              "renewal_years: no renewal plan."},
            "renewal_years": {"help_text": "Years of the next renewal."},
        }

    def get_queued_renewal(self, obj) -> QueuedTermSerializer(allow_null=True):
        if obj.status != Status.RENEWED:
            return None
        return QueuedTermSerializer(obj).data

    def get_not_renewing(self, obj) -> NotRenewingSerializer(allow_null=True):
        if obj.not_renewing_reason is None:
            return None
        return NotRenewingSerializer(obj).data

    def get_last_cancelled_renewal(self, obj) -> CancelledTermSerializer(allow_null=True):
        # Lists prefetch them (one query a page); a single answer reads its own.
        if hasattr(obj, "cancelled_renewals"):
            term = obj.cancelled_renewals[0] if obj.cancelled_renewals else None
        else:
            term = cancelled_renewals().filter(subscription=obj).first()
        return CancelledTermSerializer(term).data if term else None


class ForecastSerializer(serializers.Serializer):
    needed = serializers.IntegerField(help_text="Users of every subscription to renew now.")
    companies = serializers.IntegerField()
    missing = serializers.IntegerField(help_text="max(0, needed − balance)")
    needed_12_months = serializers.IntegerField(source="needed_12")
    companies_12_months = serializers.IntegerField(source="companies_12")
    missing_12_months = serializers.IntegerField(source="missing_12")
    runs_dry = serializers.DateField(allow_null=True)


class PoolSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    organization = serializers.IntegerField(source="organization_id")
    organization_name = serializers.CharField(source="organization.name")
    product = serializers.CharField(source="product.code")
    product_name = serializers.CharField(source="product.name")
    balance = serializers.IntegerField()
    forecast = serializers.SerializerMethodField()
    updated_at = updated_at_field(help_text="When the balance last moved (the forecast is "
                            "computed at each call); the `updated_since` filter reads it.")

    def get_forecast(self, obj) -> ForecastSerializer:
        return ForecastSerializer(obj).data


class MovementSerializer(serializers.ModelSerializer):
    organization = serializers.IntegerField(source="pool.organization_id")
    organization_name = serializers.CharField(source="pool.organization.name")
    product = serializers.CharField(source="pool.product.code")
    client = serializers.SerializerMethodField()
    counterpart = serializers.IntegerField(source="counterpart_id", allow_null=True)
    actor = serializers.CharField(source="actor.username", allow_null=True, default=None)
    updated_at = updated_at_field(source="created_at", help_text="A ledger line never changes: "
                            "its created_at.")

    class Meta:
        model = LicenseMovement
        fields = [
            "id", "pool", "organization", "organization_name", "product", "quantity",
            "balance_after", "kind", "subscription", "client", "counterpart", "actor",
            "created_at", "note", "updated_at",
        ]

    def get_client(self, obj) -> int | None:
        """The subscription's client, or for a co-terming's debit (one line for several
        subscriptions) the client co-termed."""
        if obj.subscription_id is not None:
            return obj.subscription.client_id
        try:
            return obj.coterm_debit.coterming.client_id
        except ObjectDoesNotExist:
            return None


class RenewalRequestSerializer(serializers.Serializer):
    years = serializers.IntegerField(min_value=1, max_value=services.MAX_YEARS, default=1)
    users = serializers.IntegerField(
        min_value=1, max_value=services.MAX_USERS, required=False,
        help_text="Defaults to the current users.",
    )


class RenewalResultSerializer(serializers.Serializer):
    subscription = SubscriptionSerializer()
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    users = serializers.IntegerField()
    years = serializers.IntegerField()
    licenses = serializers.IntegerField()
    balance_after = serializers.IntegerField()


class CancelledAddonSerializer(serializers.Serializer):
    """An undone add-on: the users it had added and the licenses refunded."""

    users = serializers.IntegerField(help_text="Users removed again from each term.")
    licenses = serializers.IntegerField(help_text="Licenses debited, then refunded.")
    created_at = serializers.DateTimeField(help_text="When the users were added.")
    terms = serializers.ListField(child=serializers.IntegerField(),
                                  help_text="The terms the users had been added to.")


class CancelRenewalResultSerializer(serializers.Serializer):
    subscription = SubscriptionSerializer(help_text="Back to its term and status before.")
    undone = serializers.ChoiceField(
        choices=["renewal", "addon"], help_text="What was undone: the subscription's last "
        "license-moving operation."
    )
    cancelled_renewal = CancelledTermSerializer(allow_null=True,
                                                help_text="The renewal undone, if it was one.")
    cancelled_addon = CancelledAddonSerializer(allow_null=True,
                                               help_text="The add-on undone, if it was one.")
    licenses_refunded = serializers.IntegerField()
    balance_after = serializers.IntegerField(
        allow_null=True, help_text="The refunded pool's balance (null: nothing was debited)."
    )


class NotRenewingRequestSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=NotRenewingReason.choices)
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True,
                                    default="")


class AddUsersRequestSerializer(serializers.Serializer):
    users = serializers.IntegerField(
        min_value=1, max_value=services.MAX_USERS,
        help_text="Users to add (the subscription's total stays within 100 000).",
    )


class AddonPartSerializer(serializers.Serializer):
    term = serializers.ChoiceField(choices=["current", "queued"])
    term_id = serializers.IntegerField()
    start_date = serializers.DateField(help_text="First day the added users pay for.")
    end_date = serializers.DateField()
    licenses = serializers.IntegerField()


class AddUsersResultSerializer(serializers.Serializer):
    subscription = SubscriptionSerializer()
    users = serializers.IntegerField(help_text="Users added.")
    licenses = serializers.IntegerField(help_text="Licenses debited, in one ledger line.")
    split = AddonPartSerializer(many=True, help_text="The cost per term raised.")
    balance_after = serializers.IntegerField()


class RenewalPlanRequestSerializer(serializers.Serializer):
    """PATCH of a subscription: its renewal plan and auto-renew switch. A field left out
    keeps its value; the plan's users and years are both set or both null."""

    auto_renew = serializers.BooleanField(required=False)
    renewal_users = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=services.MAX_USERS
    )
    renewal_years = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=services.MAX_YEARS
    )
