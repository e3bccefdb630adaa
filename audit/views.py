"""The audit log page (docs/interface.md "Audit log"): every signed-in member of an
organization reads its rows, read-only members included; publisher staff read every
organization's. Anyone else sees nothing: the selector is empty for them."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.models import Scope
from subscriptions.views.common import PER_PAGE_CHOICES, configure_table, set_empty_text

from . import selectors
from .exports import export_csv
from .filtersets import AuditFilterSet
from .tables import AuditTable


@require_GET
@login_required
def audit_log(request):
    if Scope.for_user(request.user).sees_nothing:
        raise PermissionDenied
    filterset = AuditFilterSet(
        request.GET, queryset=selectors.entries(request.user), request=request
    )
    if request.GET.get("export") == "csv":
        return export_csv(filterset.rows)
    table = AuditTable(filterset.rows)
    configure_table(request, table)
    set_empty_text(
        table, filterset, request,
        filtered=_("No entry of the audit log matches these filters."),
        unfiltered=_("No entry in the audit log."),
    )
    return render(
        request,
        "audit/audit_log.html",
        {"filter": filterset, "table": table, "per_page_choices": PER_PAGE_CHOICES},
    )
