"""The users of an organization, managed by its managers from the portal; and the answer
to a locked-out login.

Access, as everywhere in the portal: read-only users get 403 before anything else;
a user of another organization is a 404 (the queryset holds only the manager's own
organization); publisher staff manage everyone in the admin. The views read through
`selectors` and write through `services`, which check the actor again.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied
from django.forms.utils import ErrorDict
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import selectors, services
from .access import manager_required, organization_required
from .forms import InviteUserForm, OrganizationSettingsForm, RoleForm
from .models import OrganizationKind, Scope

# Its old home; the services own the message now.
CANNOT_DEACTIVATE_SELF = services.CANNOT_DEACTIVATE_SELF


def _member_or_404(request, pk):
    return get_object_or_404(selectors.members(actor=request.user), pk=pk)


def _refused(form, refusal):
    field = refusal.field if refusal.field in form.fields else None
    form.add_error(field, refusal.message)


@require_GET
@login_required
@manager_required
@organization_required
def user_list(request):
    return render(
        request,
        "accounts/user_list.html",
        {
            "members": selectors.members(actor=request.user),
            "organization_name": Scope.for_user(request.user).organization_name,
        },
    )


@login_required
@manager_required
@organization_required
@require_http_methods(["GET", "POST"])
def user_invite(request):
    form = InviteUserForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_invite(
                actor=request.user,
                username=data["username"],
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                role=data["role"],
                # The link in the e-mail leads back to the host the manager used.
                domain=request.get_host(),
                use_https=request.is_secure(),
            )
        except services.AccountRefused as refusal:
            _refused(form, refusal)
        else:
            messages.success(
                request,
                _("%(username)s was invited: an e-mail to %(email)s lets them choose a "
                  "password.")
                % {"username": user.username, "email": user.email},
            )
            return redirect("account_users")
    return render(request, "accounts/user_invite.html", {"form": form})


@login_required
@manager_required
@organization_required
@require_http_methods(["GET", "POST"])
def user_edit(request, pk):
    member = _member_or_404(request, pk)
    form = RoleForm(
        request.POST if request.method == "POST" else None,
        initial={"role": member.membership.role},
        member=member,
        acting_user=request.user,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_change_role(
                actor=request.user, member=member, role=form.cleaned_data["role"]
            )
        except services.AccountRefused as refusal:
            _refused(form, refusal)
        else:
            member.refresh_from_db()
            messages.success(
                request,
                _("%(username)s is now %(role)s.")
                % {"username": member.username, "role": member.membership.get_role_display()},
            )
            return redirect("account_users")
    return render(
        request,
        "accounts/user_edit.html",
        {"member": member, "form": form, "is_self": member.pk == request.user.pk},
    )


@require_POST
@login_required
@manager_required
@organization_required
def user_set_active(request, pk, active):
    member = _member_or_404(request, pk)
    try:
        services.user_set_active(actor=request.user, member=member, active=active)
    except services.AccountRefused as refusal:
        messages.error(request, refusal.message)
        return redirect("account_user_edit", pk=member.pk)
    if active:
        messages.success(request, _("%(username)s can log in again.") % {"username": member})
    else:
        messages.success(
            request, _("%(username)s was deactivated and can no longer log in.")
            % {"username": member}
        )
    return redirect("account_users")


def user_deactivate(request, pk):
    return user_set_active(request, pk, active=False)


def user_reactivate(request, pk):
    return user_set_active(request, pk, active=True)


@require_POST
@login_required
@manager_required
@organization_required
def user_resend(request, pk):
    member = _member_or_404(request, pk)
    try:
        services.invitation_resend(
            actor=request.user,
            member=member,
            domain=request.get_host(),
            use_https=request.is_secure(),
        )
    except services.AccountRefused as refusal:
        messages.info(request, refusal.message)
    else:
        messages.success(
            request, _("The invitation was sent again to %(email)s.") % {"email": member.email}
        )
    return redirect("account_user_edit", pk=member.pk)


@login_required
@manager_required
@require_http_methods(["GET", "POST"])
def organization_settings(request):
    """A partner's own renewal window and reminder days (docs/rules.md, rule 16).

    Only the partner's managers: its resellers follow the partner's settings and get 403
    (they have nothing to change), as do read-only users; publisher staff set them per
    partner in the admin.
    """
    scope = Scope.for_user(request.user)
    if scope.kind != OrganizationKind.PARTNER:
        if request.user.is_staff:
            return redirect("admin:accounts_partner_changelist")
        # Rendered by 403.html, in the user's language (not the read-only users' message).
        raise PermissionDenied(_("Only the partner's managers can change its renewal settings."))
    organization = selectors.own_partner(actor=request.user)
    if organization is None:
        raise Http404
    form = OrganizationSettingsForm(
        request.POST if request.method == "POST" else None, instance=organization
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.organization_update_settings(
                actor=request.user,
                organization=organization,
                renewal_window_months=form.cleaned_data["renewal_window_months"],
                reminder_days=form.cleaned_data["reminder_days"],
                require_mfa=form.cleaned_data["require_mfa"],
            )
        except services.AccountRefused as refusal:
            _refused(form, refusal)
        else:
            messages.success(request, _("The settings of %(organization)s were saved.") % {
                "organization": organization.name
            })
            return redirect("account_organization")
    return render(
        request,
        "accounts/organization_settings.html",
        {"form": form, "organization": organization},
    )


def locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out username: the login page, with why and for how
    long, instead of a bare 429 text."""
    from django.conf import settings

    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    # Bound but never cleaned: cleaning would call authenticate() for a locked account.
    form = AuthenticationForm(request, data={"username": request.POST.get("username", "")})
    form._errors = ErrorDict()
    form.cleaned_data = {}
    form.add_error(
        None,
        _(
            "Too many failed login attempts for this account: it is locked for "
            "%(minutes)s minutes. Try again later, or ask your administrator."
        )
        % {"minutes": minutes},
    )
    response = render(
        request,
        "registration/login.html",
        {"form": form, "next": request.POST.get("next", ""), "locked_out": True},
        status=429,
    )
    return response
