from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from api import services
from audit.context import system_actor


class Command(BaseCommand):
    help = "Creates an API token for USERNAME and prints its key alone on the last line."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What the token is for.")

    def handle(self, *args, **options):
        User = get_user_model()
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist:
            raise CommandError(f"Unknown user: {options['username']}") from None
        if not user.is_active:
            raise CommandError(f"User {user.username} is inactive.")
        with system_actor("create_api_token"):
            token, key = services.token_create(user=user, name=options["name"] or "command line")
        self.stderr.write(f"Token {token.prefix}… created for {user.username}.")
        self.stdout.write(key)
