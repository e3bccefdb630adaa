"""The portal page where a user creates and revokes their own API tokens.

A new key is shown once, in the answer to the POST that created it (never stored, never
put in the session or a redirect); only its hash and first characters are kept. Any
signed-in user, read-only ones included, manages their own tokens: a read-only user's
token can only read.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from . import services
from .models import ApiToken

MAX_ACTIVE_TOKENS = 20


def _page(request, *, new_key=None, status=200):
    return render(
        request,
        "api/tokens.html",
        {
            "tokens": ApiToken.objects.filter(user=request.user).order_by("-created_at", "-pk"),
            "new_key": new_key,
        },
        status=status,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request):
    if request.method == "POST":
        if ApiToken.objects.active().filter(user=request.user).count() >= MAX_ACTIVE_TOKENS:
            messages.error(request, _("Revoke a token before creating another one."))
            return _page(request, status=400)
        _token, key = services.token_create(
            user=request.user, name=request.POST.get("name", "").strip()
        )
        return _page(request, new_key=key)
    return _page(request)


@login_required
@require_POST
def revoke_api_token(request, pk):
    token = get_object_or_404(ApiToken.objects.filter(user=request.user), pk=pk)
    token = services.token_revoke(token=token)
    messages.success(request, _("The token %(prefix)s… is revoked.") % {"prefix": token.prefix})
    return redirect("api_tokens")
