"""Sets up the tests' provider database (run in the provider's own process, with its own
settings): tables, an RSA signing key made by django-oidc-provider's `creatersakey`, the
users below and the portal as a confidential client with the given redirect URIs.

    python -m tests.sso_provider.bootstrap REDIRECT_URI...

Run again, it only adds the redirect URIs.
"""

import os
import sys

CLIENT_ID = "partner-portal"
CLIENT_SECRET = "partner-portal-secret"
# username: (e-mail, whether the provider verified it); every password is the username.
USERS = {
    "ada": ("ada.sso@alpha.example", True),
    "stranger": ("nobody@elsewhere.example", True),
    # Claims Ada's address without the provider having verified it.
    "mallory": ("ada.sso@alpha.example", False),
    "dormant": ("dormant.sso@alpha.example", True),
}


def main(redirect_uris):
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.sso_provider.settings")
    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from oidc_provider.models import Client, ResponseType, RSAKey

    call_command("migrate", verbosity=0, interactive=False)
    if not RSAKey.objects.exists():
        call_command("creatersakey")
    for username, (email, verified) in USERS.items():
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"email": email, "last_name": "" if verified else "unverified"},
        )
        if created:
            user.set_password(username)
            user.save()
    client, _ = Client.objects.get_or_create(
        client_id=CLIENT_ID,
        defaults={
            "name": "Partner Portal",
            "client_type": "confidential",
            "client_secret": CLIENT_SECRET,
            "require_consent": False,
            "_scope": "openid email profile",
        },
    )
    client.response_types.set([ResponseType.objects.get(value="code")])
    client.redirect_uris = sorted(set(client.redirect_uris) | set(redirect_uris))
    client.save()


if __name__ == "__main__":
    main(sys.argv[1:])
