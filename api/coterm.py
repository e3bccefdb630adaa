"""Co-terming through the API (docs/rules.md rule 20): what it accepts and answers, built
from the simulator's plan (subscriptions.selectors.coterm), the same for a dry run and a
co-terming done."""

from rest_framework import serializers

from subscriptions.selectors.coterm import LeftOut
from subscriptions.services.coterm import COTERM_MAX


class CotermRequestSerializer(serializers.Serializer):
    end = serializers.DateField(
        help_text="The common end date: one of the client's current end dates or the "
        "last day of a month, after today, and no later than a one-year term starting the "
        "day after the latest end of the client's current terms would end."
    )
    subscriptions = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**62),
        min_length=1, max_length=COTERM_MAX, required=False,
        help_text="The client's subscriptions to extend (default: all of them). Those "
        "that cannot be extended to this date are answered as left out, with the reason.",
    )
    dry_run = serializers.BooleanField(
        default=False, help_text="true: answer what it would do (200) and write nothing."
    )


class CotermLineSerializer(serializers.Serializer):
    subscription = serializers.IntegerField()
    new_end = serializers.DateField(required=False)
    new_start = serializers.DateField(required=False)
    days = serializers.IntegerField(required=False)
    users = serializers.IntegerField(required=False)
    cost = serializers.IntegerField(required=False, help_text="Licenses: per user one a whole "
                                  "year, the days left over pro rata, rounded up once.")
    left_out = serializers.ChoiceField(choices=LeftOut.ALL, required=False)
    reason = serializers.CharField(required=False, help_text="Why, as a sentence.")


class CotermPoolSerializer(serializers.Serializer):
    pool = serializers.IntegerField(allow_null=True, help_text="null: not created yet.")
    organization = serializers.IntegerField(help_text="The paying organization's id.")
    organization_name = serializers.CharField()
    product = serializers.CharField()
    debit = serializers.IntegerField()
    balance = serializers.IntegerField()
    balance_after = serializers.IntegerField()


class CotermResultSerializer(serializers.Serializer):
    end = serializers.DateField()
    dry_run = serializers.BooleanField()
    coterming = serializers.IntegerField(
        allow_null=True, help_text="The co-terming written (null for a dry run)."
    )
    licenses = serializers.IntegerField()
    lines = CotermLineSerializer(many=True)
    pools = CotermPoolSerializer(many=True)


def _line(line):
    if not line.extended:
        return {"subscription": line.subscription.pk, "left_out": line.left_out,
                "reason": line.reason}
    return {
        "subscription": line.subscription.pk, "new_start": line.start.isoformat(),
        "new_end": line.end.isoformat(), "days": line.days, "users": line.users,
        "cost": line.cost,
    }


def coterm_body(plan, *, sent=None, coterming=None, dry_run=False):
    """The answer: a line per subscription sent (all the client's when none were), and
    per pool its debit and balances."""
    return {
        "end": plan.end.isoformat(),
        "dry_run": dry_run,
        "coterming": coterming.pk if coterming else None,
        "licenses": plan.licenses,
        "lines": [
            _line(line) for line in plan.lines
            if sent is None or line.subscription.pk in sent
        ],
        "pools": [
            {
                "pool": pool.pool_id, "organization": pool.organization.pk,
                "organization_name": pool.organization.name,
                "product": pool.product.code, "debit": pool.debit, "balance": pool.balance,
                "balance_after": pool.balance_after,
            }
            for pool in plan.pools
        ],
    }
