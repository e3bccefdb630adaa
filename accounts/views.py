"""The users of an organization, managed by its managers from the portal; and the answer
to a locked-out login.

Access, as everywhere in the portal: read-only users get 403 before anything else;
a user of another organization is a 404 (the queryset holds only the manager's own
organization); publisher staff manage everyone in the admin.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.forms.utils import ErrorDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .access import manager_required, organization_required
from .forms import InvitationForm, InviteUserForm, OrganizationSettingsForm, RoleForm
from .models import Membership, Organization, OrganizationKind, Scope

User = get_user_model()

CANNOT_DEACTIVATE_SELF = gettext_lazy("You cannot deactivate your own account.")


def _members(request):
    scope = Scope.for_user(request.user)
    return (
        User.objects.filter(membership__organization_id=scope.organization_id)
        .select_related("membership")
        .order_by("username", "pk")
    )


@require_GET
@login_required
@manager_required
@organization_required
def user_list(request):
    return render(
        request,
        "accounts/user_list.html",
        {
            "members": _members(request),
            "organization_name": Scope.for_user(request.user).organization_name,
        },
    )


def send_invitation(request, user):
    form = InvitationForm(user=user)
    form.is_valid()
    form.save(
        request=request,
        use_https=request.is_secure(),
        subject_template_name="accounts/invitation_subject.txt",
        email_template_name="accounts/invitation_email.txt",
        extra_email_context={
            "organization_name": Scope.for_user(request.user).organization_name,
            "invited_by": request.user.get_full_name() or request.user.get_username(),
        },
    )


@login_required
@manager_required
@organization_required
@require_http_methods(["GET", "POST"])
def user_invite(request):
    scope = Scope.for_user(request.user)
    form = InviteUserForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            user = User(
                username=data["username"],
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
            )
            # No password until the invited person chooses one through the e-mailed link.
            user.set_unusable_password()
            user.save()
            Membership.objects.create(
                user=user, organization_id=scope.organization_id, role=data["role"]
            )
        send_invitation(request, user)
        messages.success(
            request,
            _("%(username)s was invited: an e-mail to %(email)s lets them choose a password.")
            % {"username": user.username, "email": user.email},
        )
        return redirect("account_users")
    return render(request, "accounts/user_invite.html", {"form": form})


@login_required
@manager_required
@organization_required
@require_http_methods(["GET", "POST"])
def user_edit(request, pk):
    member = get_object_or_404(_members(request), pk=pk)
    form = RoleForm(
        request.POST if request.method == "POST" else None,
        initial={"role": member.membership.role},
        member=member,
        acting_user=request.user,
    )
    if request.method == "POST" and form.is_valid():
        Membership.objects.filter(user=member).update(role=form.cleaned_data["role"])
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
    member = get_object_or_404(_members(request), pk=pk)
    if member.pk == request.user.pk:
        messages.error(request, CANNOT_DEACTIVATE_SELF)
        return redirect("account_user_edit", pk=member.pk)
    User.objects.filter(pk=member.pk).update(is_active=active)
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
    member = get_object_or_404(_members(request), pk=pk)
    if member.has_usable_password() or not member.is_active:
        messages.info(request, _("%(username)s has already chosen a password.") % {
            "username": member
        })
    else:
        send_invitation(request, member)
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
        raise PermissionDenied
    organization = get_object_or_404(Organization, pk=scope.organization_id)
    form = OrganizationSettingsForm(
        request.POST if request.method == "POST" else None, instance=organization
    )
    if request.method == "POST" and form.is_valid():
        form.save()
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
            "%(minutes)d minutes. Try again later, or ask your administrator."
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
