"""A user's own reminder settings: on or off, and the language of the e-mails."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.models import Role, Scope

from .forms import ReminderPreferenceForm
from .models import ReminderPreference


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    # Only the user's own row, never another's: there is no id in the URL to tamper with.
    # Read-only users may set it too (it changes nothing but their own mail), although
    # reminders go to managers only; the page says so.
    preference = ReminderPreference.objects.filter(user=request.user).first() or (
        ReminderPreference(user=request.user, language=request.LANGUAGE_CODE
                           if request.LANGUAGE_CODE in dict(settings.LANGUAGES)
                           else settings.LANGUAGE_CODE)
    )
    if request.method == "POST":
        form = ReminderPreferenceForm(request.POST, instance=preference)
        if form.is_valid():
            form.save()
            messages.success(request, _("Your reminder settings are saved."))
            return redirect("reminder_preferences")
    else:
        form = ReminderPreferenceForm(instance=preference)
    scope = Scope.for_user(request.user)
    membership = getattr(request.user, "membership", None) if scope.organization_id else None
    return render(
        request,
        "reminders/preferences.html",
        {
            "form": form,
            "receives": membership is not None and membership.role == Role.MANAGER,
        },
    )
