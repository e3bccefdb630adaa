"""The invitation e-mail: Django's password-reset message, sent to one invited user so
that they choose their own password. The services send it; no screen is needed."""

from django.contrib.auth.forms import PasswordResetForm


class InvitationForm(PasswordResetForm):
    """Django's password-reset e-mail, sent to one invited user whose password is not set
    yet (the stock form skips such users, so it would never reach a new account)."""

    def __init__(self, *args, user, **kwargs):
        self.invited_user = user
        super().__init__({"email": user.email}, *args, **kwargs)

    def get_users(self, email):
        return [self.invited_user]


def send_invitation(*, user, inviter, organization_name, domain, use_https):
    """`domain` is the host the link points to, the request's own: the portal runs
    without django.contrib.sites, whose site would otherwise give it."""
    form = InvitationForm(user=user)
    form.is_valid()
    form.save(
        domain_override=domain,
        use_https=use_https,
        subject_template_name="accounts/invitation_subject.txt",
        email_template_name="accounts/invitation_email.txt",
        extra_email_context={
            "organization_name": organization_name,
            "invited_by": inviter.get_full_name() or inviter.get_username(),
        },
    )
