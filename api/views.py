"""The partner API (`/api/v1/`): the screens' scope, roles and service layer, as JSON.

Every queryset comes from `visible_to(user)` (through `subscriptions.selectors.scope.Visible`),
so an object outside the caller's scope answers 404; `ManagerForWrites` answers 403 to a
read-only user before anything else; writes go through `subscriptions.services` with an
`Idempotency-Key` (same key, same answer, one debit).
"""

import json

from django import forms
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from portal.names import folded_contains
from subscriptions import selectors, services
from subscriptions.filtersets import (
    MovementFilterSet,
    SubscriptionFilterSet,
    asks_for_not_renewing,
)
from subscriptions.models import LicensePool
from subscriptions.selectors.scope import Visible
from subscriptions.services import idempotency

from . import serializers
from .bulk import (
    BulkRenewalRequestSerializer,
    BulkRenewalResultSerializer,
    bulk_body,
    refused_items,
)
from .coterm import CotermRequestSerializer, CotermResultSerializer, coterm_body
from .filters import ScopedFilterBackend, SyncFilterBackend
from .pagination import IdCursorPagination, LedgerCursorPagination
from .problems import PROBLEM_CONTENT_TYPE, problem, problem_response
from .schema import RenewalsDueSchema

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    # What the server accepts: 1 to 255 characters, not only spaces.
    {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"\S"},
    location=OpenApiParameter.HEADER,
    required=True,
    description="A unique key per operation (e.g. a UUID). Sending the same key again "
    "returns the first answer and changes nothing.",
)


class ScopedViewSet(viewsets.GenericViewSet):
    def visible(self):
        return Visible(self.request.user)


@extend_schema_view(
    list=extend_schema(summary="Clients in your scope"),
    retrieve=extend_schema(summary="One client"),
)
class ClientViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = serializers.ClientSerializer
    filter_backends = [SyncFilterBackend]
    pagination_class = IdCursorPagination

    def get_queryset(self):
        # No order here: the list pages in id order (IdCursorPagination).
        rows = self.visible().clients()
        query = self.request.query_params.get("q")
        if query:
            # A form field's checks (no NUL character, which PostgreSQL refuses), as the
            # screens' filters apply them: bad input is a 400, never a 500.
            try:
                query = forms.CharField(max_length=200).clean(query)
            except forms.ValidationError as error:
                raise ValidationError({"q": error.messages}) from None
            rows = rows.filter(folded_contains("name_folded", query))
        return rows

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "q", OpenApiTypes.STR, description="Name contains (case and accents ignored)"
            )
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="Align the client's subscriptions on one end date (co-terming), "
        "or simulate it with dry_run (200, nothing written, no Idempotency-Key needed)",
        parameters=[IDEMPOTENCY_HEADER],
        request=CotermRequestSerializer,
        responses={200: CotermResultSerializer, 201: CotermResultSerializer},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def coterm(self, request, pk=None):
        client = self.get_object()
        data = CotermRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        end, sent = data.validated_data["end"], data.validated_data.get("subscriptions")
        chosen = set(sent) if sent is not None else None
        if data.validated_data["dry_run"]:
            try:
                plan = services.simulate_coterm(client, end=end, subscription_ids=sent)
            except services.OperationRefused as refusal:
                return _refused(refusal)
            return Response(coterm_body(plan, sent=chosen, dry_run=True))

        def operation():
            ids = sent if sent is not None else list(
                client.subscriptions.values_list("pk", flat=True)
            )
            result = services.coterm_subscriptions(
                actor=request.user, client_id=client.pk, end=end, subscription_ids=ids
            )
            return status.HTTP_201_CREATED, coterm_body(
                result.plan, sent=chosen, coterming=result.coterming
            )

        return idempotent(request, operation)


# Refusals that depend on the subscription's state or the pool, not on the input.
CONFLICTS = (
    "not_enough_licenses", "already_renewed", "not_started", "nothing_to_undo", "too_late",
    "not_to_renew", "expired", "not_addable", "nothing_to_extend", "later_operation",
)


def _refusal_problem(refusal):
    conflict = refusal.code in CONFLICTS
    status_code = status.HTTP_409_CONFLICT if conflict else status.HTTP_400_BAD_REQUEST
    extra = {}
    if refusal.field:
        extra["field"] = refusal.field
    if refusal.items:
        extra["items"] = refusal.items
    if isinstance(refusal.missing, dict):
        extra["missing"] = {str(pool): count for pool, count in refusal.missing.items()}
    elif refusal.missing is not None:
        extra["missing"] = refusal.missing
    title = _("Not enough licenses") if refusal.code == "not_enough_licenses" else _(
        "Operation refused"
    )
    return status_code, problem(
        status_code, code=refusal.code, title=title, detail=refusal.text, **extra
    )


def idempotent(request, operation):
    """Answers `operation()` → (status, body) once per (user, Idempotency-Key), through
    `services.idempotency`: the same key and request again get the first answer back, a
    refusal included; the same key for another request gets a 422."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key or len(key) > idempotency.MAX_KEY_LENGTH:
        return problem_response(
            status.HTTP_400_BAD_REQUEST,
            code="idempotency_key",
            title=_("Idempotency-Key required"),
            detail=_("Send a unique Idempotency-Key header (at most 255 characters)."),
        )

    def answered():
        try:
            return operation()
        except services.OperationRefused as refusal:
            return _refusal_problem(refusal)
        except NotFound as missing:
            status_code = status.HTTP_404_NOT_FOUND
            return status_code, problem(status_code, code="not_found", title=_("Not found."),
                                        detail=str(missing.detail))

    try:
        answer = idempotency.answer_once(
            user=request.user, key=key,
            fingerprint=idempotency.fingerprint(request.method, request.path, request.data),
            operation=answered,
        )
    except idempotency.KeyReused:
        return problem_response(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            code="idempotency_key_reused",
            title=_("Idempotency-Key already used"),
            detail=_("This Idempotency-Key was used for another request."),
        )
    content_type = PROBLEM_CONTENT_TYPE if answer.status_code >= 400 else None
    return Response(
        answer.body,
        status=answer.status_code,
        content_type=content_type,
        headers={"Idempotent-Replayed": "true" if answer.replayed else "false"},
    )


def _refused(refusal):
    status_code, body = _refusal_problem(refusal)
    return Response(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE)


def _with_marks(subscriptions):
    """What SubscriptionSerializer reads besides the row: who marked it not renewing
    (a join) and its undone renewals (one query a page)."""
    return subscriptions.select_related("not_renewing_by").prefetch_related(
        Prefetch("terms", queryset=serializers.cancelled_renewals(),
                 to_attr="cancelled_renewals")
    )


@extend_schema_view(
    list=extend_schema(summary="Subscriptions in your scope, with status and current term"),
    retrieve=extend_schema(summary="One subscription"),
)
class SubscriptionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = serializers.SubscriptionSerializer
    filter_backends = [ScopedFilterBackend, SyncFilterBackend]
    filterset_class = SubscriptionFilterSet
    pagination_class = IdCursorPagination
    client_filter = True

    def get_queryset(self):
        # No order here: the list pages in id order (IdCursorPagination).
        return _with_marks(self.visible().subscriptions())

    def _fresh(self, subscription):
        """The subscription as it is now, with its status (after a write)."""
        return serializers.SubscriptionSerializer(self.get_queryset().get(pk=subscription.pk))

    @extend_schema(
        summary="Set the renewal plan and auto-renew (managers): fields left out keep "
        "their value; renewal_users and renewal_years both set, or both null (no plan)",
        request=serializers.RenewalPlanRequestSerializer,
        responses={200: serializers.SubscriptionSerializer},
    )
    def partial_update(self, request, pk=None):
        subscription = self.get_object()
        data = serializers.RenewalPlanRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            services.set_renewal_plan(
                actor=request.user,
                subscription_id=subscription.pk,
                users=values.get("renewal_users", subscription.renewal_users),
                years=values.get("renewal_years", subscription.renewal_years),
                auto_renew=values.get("auto_renew", subscription.auto_renew),
            )
        except services.OperationRefused as refusal:
            refusal.field = {"users": "renewal_users", "years": "renewal_years"}.get(
                refusal.field, refusal.field
            )
            return _refused(refusal)
        return Response(self._fresh(subscription).data)

    @extend_schema(
        summary="Renew one subscription",
        parameters=[IDEMPOTENCY_HEADER],
        request=serializers.RenewalRequestSerializer,
        responses={201: serializers.RenewalResultSerializer},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def renew(self, request, pk=None):
        subscription = self.get_object()
        data = serializers.RenewalRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)

        def operation():
            result = services.renew_subscription(
                actor=request.user,
                subscription_id=subscription.pk,
                years=data.validated_data["years"],
                users=data.validated_data.get("users"),
            )
            body = serializers.RenewalResultSerializer(
                {
                    "subscription": result.subscription,
                    "start_date": result.term.start_date,
                    "end_date": result.term.end_date,
                    "users": result.term.users,
                    "years": result.term.years,
                    "licenses": result.licenses,
                    "balance_after": result.balance_after,
                }
            ).data
            return status.HTTP_201_CREATED, json.loads(json.dumps(body, default=str))

        return idempotent(request, operation)

    @extend_schema(
        summary="Renew several subscriptions in one transaction (all or none)",
        parameters=[IDEMPOTENCY_HEADER],
        request=BulkRenewalRequestSerializer,
        responses={201: BulkRenewalResultSerializer},
    )
    @action(detail=False, methods=["post"], url_path="bulk-renew", filter_backends=[],
            pagination_class=None)
    def bulk_renew(self, request):
        data = BulkRenewalRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sent = data.validated_data["subscriptions"]
        ids = set(sent)
        visible = set(self.visible().subscriptions().filter(pk__in=ids).values_list(
            "pk", flat=True
        ))
        if visible != ids:
            message = _("A selected subscription does not exist.")
            return problem_response(
                status.HTTP_404_NOT_FOUND, code="not_found", title=_("Not found."),
                detail=message, field="subscriptions",
                items=refused_items(
                    [{"subscription": pk, "code": "not_found", "detail": message}
                     for pk in sorted(ids - visible)],
                    sent,
                ),
            )

        def operation():
            try:
                result = services.renew_subscriptions(
                    actor=request.user, subscription_ids=ids,
                    years=data.validated_data["years"],
                )
            except services.OperationRefused as refusal:
                refusal.field = refusal.field or "subscriptions"
                refusal.items = refused_items(refusal.items, sent)
                raise
            return status.HTTP_201_CREATED, bulk_body(result)

        return idempotent(request, operation)

    @extend_schema(
        summary="Add users mid-term: they pay for the rest of the current term and for "
        "any queued renewal, in one debit",
        parameters=[IDEMPOTENCY_HEADER],
        request=serializers.AddUsersRequestSerializer,
        responses={201: serializers.AddUsersResultSerializer},
    )
    @action(detail=True, methods=["post"], url_path="add-users", filter_backends=[])
    def add_users(self, request, pk=None):
        subscription = self.get_object()
        data = serializers.AddUsersRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)

        def operation():
            result = services.add_users(
                actor=request.user, subscription_id=subscription.pk,
                users=data.validated_data["users"],
            )
            body = serializers.AddUsersResultSerializer({
                "subscription": self.get_queryset().get(pk=subscription.pk),
                "users": result.plan.users,
                "licenses": result.licenses,
                "split": result.plan.as_dict()["parts"],
                "balance_after": result.balance_after,
            }).data
            return status.HTTP_201_CREATED, json.loads(json.dumps(body, default=str))

        return idempotent(request, operation)

    @extend_schema(
        summary="Undo the last license-moving operation, a renewal, an add-on or a "
        "co-term extension, which undoes its whole co-terming (before its term starts, or "
        "within 7 days of it; once): its licenses go back to the pools that paid",
        parameters=[IDEMPOTENCY_HEADER],
        request=None,
        responses={200: serializers.CancelRenewalResultSerializer},
    )
    @action(detail=True, methods=["post"], url_path="cancel-renewal", filter_backends=[])
    def cancel_renewal(self, request, pk=None):
        subscription = self.get_object()

        def operation():
            result = services.undo_last_operation(
                actor=request.user, subscription_id=subscription.pk
            )
            undone = result.operation
            renewal = addon = coterming = None
            if undone.kind == "addon":
                addon = {"users": undone.users, "licenses": result.licenses,
                         "created_at": undone.made_at,
                         "terms": [change.term_id for change in undone.changes]}
            elif undone.kind == "coterm":
                plan = undone.undo_plan
                coterming = {
                    "coterming": plan.coterming, "licenses": plan.licenses,
                    "refunds": plan.refunds,
                    "subscriptions": [ext.term.subscription_id for ext in plan.extensions],
                }
            else:
                renewal = serializers.cancelled_renewals().get(pk=undone.term.pk)
            body = serializers.CancelRenewalResultSerializer(
                {
                    "subscription": self.get_queryset().get(pk=subscription.pk),
                    "undone": undone.kind,
                    "cancelled_renewal": renewal,
                    "cancelled_addon": addon,
                    "cancelled_coterming": coterming,
                    "licenses_refunded": result.licenses,
                    "balance_after": result.balance_after,
                }
            ).data
            return status.HTTP_200_OK, json.loads(json.dumps(body, default=str))

        return idempotent(request, operation)

    @extend_schema(
        summary="Mark as not renewing (an expiring or expired subscription): it leaves "
        "the renewals to do",
        request=serializers.NotRenewingRequestSerializer,
        responses={200: serializers.SubscriptionSerializer},
    )
    @action(detail=True, methods=["post"], url_path="not-renewing", filter_backends=[])
    def not_renewing(self, request, pk=None):
        subscription = self.get_object()
        data = serializers.NotRenewingRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.mark_not_renewing(
                actor=request.user,
                subscription_id=subscription.pk,
                reason=data.validated_data["reason"],
                comment=data.validated_data["comment"],
            )
        except services.OperationRefused as refusal:
            return _refused(refusal)
        return Response(self._fresh(subscription).data)

    @extend_schema(
        summary="Remove the not-renewing mark",
        request=None,
        responses={200: serializers.SubscriptionSerializer},
    )
    @not_renewing.mapping.delete
    def clear_not_renewing(self, request, pk=None):
        subscription = self.get_object()
        services.clear_not_renewing(actor=request.user, subscription_id=subscription.pk)
        return Response(self._fresh(subscription).data)


NOT_RENEWING_PARAMETER = OpenApiParameter(
    "not_renewing",
    OpenApiTypes.BOOL,
    description="true: the subscriptions marked as not renewing instead, which the list "
    "leaves out otherwise.",
)


@extend_schema_view(
    list=extend_schema(
        summary="Subscriptions to renew (filters as the list)",
        parameters=[NOT_RENEWING_PARAMETER],
    )
)
class RenewalsDueViewSet(mixins.ListModelMixin, ScopedViewSet):
    serializer_class = serializers.SubscriptionSerializer
    schema = RenewalsDueSchema()
    filter_backends = [ScopedFilterBackend, SyncFilterBackend]
    filterset_class = SubscriptionFilterSet
    filter_statuses = selectors.Status.TO_RENEW

    def get_queryset(self):
        # Rule 15, as /renewals/ does it: the marked ones are out of "to renew", and
        # listed on request (the filter set's `not_renewing` then keeps only them).
        rows = selectors.renewal_rows(
            self.request.user, not_renewing=asks_for_not_renewing(self.request.query_params)
        )
        # Their current end is their term_end, which the (term_end, id) index serves.
        return _with_marks(rows.order_by("term_end", "pk"))


@extend_schema_view(list=extend_schema(summary="License pools with balance and forecast"))
class PoolViewSet(mixins.ListModelMixin, ScopedViewSet):
    serializer_class = serializers.PoolSerializer
    filter_backends = [SyncFilterBackend]

    def get_queryset(self):
        rows = selectors.pool_forecast(self.request.user)
        # The forecast's rows are cached values without it: one query for the page.
        moved = dict(LicensePool.objects.filter(pk__in=[row.pk for row in rows]).values_list(
            "pk", "updated_at"
        ))
        for row in rows:
            row.updated_at = moved[row.pk]
        return rows


@extend_schema_view(list=extend_schema(summary="Ledger lines, newest first"))
class LedgerViewSet(mixins.ListModelMixin, ScopedViewSet):
    serializer_class = serializers.MovementSerializer
    filter_backends = [ScopedFilterBackend, SyncFilterBackend]
    # A ledger line never changes: its updated_at is its created_at.
    updated_field = "created_at"
    filterset_class = MovementFilterSet
    pagination_class = LedgerCursorPagination

    def get_queryset(self):
        return self.visible().movements()
