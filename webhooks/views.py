"""`/account/webhooks/` (docs/interface.md "Webhooks"): a manager's endpoints for its
organization, each with its delivery log. Read-only members get 403 on every URL here;
an endpoint or delivery of another organization is 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import manager_required, organization_required
from accounts.models import Scope

from .forms import EndpointForm
from .models import Delivery
from .selectors.endpoints import endpoints_of, with_log
from .services import endpoints as services
from .services.sender import redeliver as redeliver_delivery

# The new endpoint's secret, kept in the session from the POST to the page it redirects to
# and dropped as soon as that page shows it: shown once, and a reload adds nothing.
NEW_SECRET = "portal_webhook_secret"


def _page(request, form):
    endpoints = with_log(endpoints_of(request.user))
    new = request.session.pop(NEW_SECRET, None)
    created = next((e for e in endpoints if new and e.pk == new["endpoint"]), None)
    return render(request, "webhooks/endpoints.html", {
        "form": form,
        "endpoints": endpoints,
        "secret": created.secret if created else None,
        "created": created,
    })


@login_required
@manager_required
@organization_required
@require_http_methods(["GET", "POST"])
def webhooks(request):
    if request.method != "POST":
        return _page(request, EndpointForm())
    form = EndpointForm(request.POST)
    if not form.is_valid():
        return _page(request, form)
    endpoint = services.create_endpoint(
        actor=request.user, organization_id=Scope.for_user(request.user).organization_id,
        url=form.cleaned_data["url"], events=form.cleaned_data["events"],
    )
    messages.success(
        request, _("The endpoint was added. Copy its secret now: it is shown only once.")
    )
    request.session[NEW_SECRET] = {"endpoint": endpoint.pk}
    return redirect("webhooks")


@login_required
@manager_required
@organization_required
@require_POST
def endpoint_delete(request, pk):
    endpoint = get_object_or_404(endpoints_of(request.user), pk=pk)
    services.delete_endpoint(endpoint, actor=request.user)
    messages.success(request, _("The endpoint %(url)s was removed.") % {"url": endpoint.url})
    return redirect("webhooks")


@login_required
@manager_required
@organization_required
@require_POST
def endpoint_enable(request, pk):
    endpoint = get_object_or_404(endpoints_of(request.user), pk=pk)
    services.enable_endpoint(endpoint, actor=request.user)
    messages.success(request, _("The endpoint %(url)s receives events again.") % {
        "url": endpoint.url
    })
    return redirect("webhooks")


@login_required
@manager_required
@organization_required
@require_POST
def delivery_redeliver(request, pk):
    delivery = get_object_or_404(
        Delivery.objects.filter(endpoint__in=endpoints_of(request.user)), pk=pk
    )
    if not delivery.endpoint.enabled:
        messages.error(request, _("Enable the endpoint before redelivering its events."))
    else:
        redeliver_delivery(delivery)
        messages.success(request, _("The event will be sent again in a moment."))
    return redirect("webhooks")
