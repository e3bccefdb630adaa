"""Bulk renewal through the API: what it accepts and answers, and how a refusal names
each subscription it refused.

Objects are named as everywhere else in the API: `subscription`, `pool`, `organization`
are ids, and a name comes beside them as `…_name`. The first spellings of this answer
(`subscription_ids`, `subscription_id`, `pool_id`) are still sent, marked deprecated in
the schema (docs/api.md, *Changes*)."""

from rest_framework import serializers

from subscriptions import services


class BulkRenewalRequestSerializer(serializers.Serializer):
    subscriptions = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**62),
        min_length=1,
        max_length=services.BULK_MAX,
    )
    years = serializers.IntegerField(min_value=1, max_value=services.MAX_YEARS, default=1)


class BulkLineSerializer(serializers.Serializer):
    subscription = serializers.IntegerField()
    subscription_id = serializers.IntegerField(help_text="Deprecated: `subscription`.")
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    users = serializers.IntegerField()
    years = serializers.IntegerField()
    licenses = serializers.IntegerField()
    planned = serializers.BooleanField(
        help_text="Renewed with its renewal plan's users and years rather than its "
        "current users and the years asked."
    )


class BulkPoolSerializer(serializers.Serializer):
    pool = serializers.IntegerField()
    pool_id = serializers.IntegerField(help_text="Deprecated: `pool`.")
    organization = serializers.IntegerField(help_text="The paying organization's id.")
    organization_name = serializers.CharField()
    product = serializers.CharField()
    balance = serializers.IntegerField()
    debit = serializers.IntegerField()
    balance_after = serializers.IntegerField()


class BulkRenewalResultSerializer(serializers.Serializer):
    subscriptions = serializers.ListField(child=serializers.IntegerField(),
                                          help_text="The subscriptions renewed.")
    subscription_ids = serializers.ListField(child=serializers.IntegerField(),
                                             help_text="Deprecated: `subscriptions`.")
    count = serializers.IntegerField()
    licenses = serializers.IntegerField()
    renewals = BulkLineSerializer(many=True)
    pools = BulkPoolSerializer(many=True)


# The schema marks these properties deprecated (api/schema.py).
DEPRECATED = {
    "BulkLine": ["subscription_id"],
    "BulkPool": ["pool_id"],
    "BulkRenewalResult": ["subscription_ids"],
}


def bulk_body(result):
    """The answer to a bulk renewal done (services.BulkRenewalResult): the service's
    summary, with the deprecated spellings beside the current ones."""
    body = services.bulk_result_summary(result)
    body["subscription_ids"] = body["subscriptions"]
    for line in body["renewals"]:
        line["subscription_id"] = line["subscription"]
    for pool in body["pools"]:
        pool["pool_id"] = pool["pool"]
    return body


def positions(sent):
    """{id: its first position in the list sent}: an item's field is `subscriptions.N`,
    as an invalid id's is in a 400."""
    found = {}
    for index, pk in enumerate(sent):
        found.setdefault(pk, index)
    return found


def refused_items(items, sent):
    """Each refused subscription with the request field that named it."""
    where = positions(sent)
    return [
        {"subscription": item["subscription"],
         "field": f"subscriptions.{where[item['subscription']]}",
         "code": item["code"], "detail": item["detail"]}
        for item in items
    ]
