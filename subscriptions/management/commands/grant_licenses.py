"""`manage.py grant_licenses PARTNER PRODUCT QUANTITY`: a publisher → partner credit."""

from django.core.management.base import BaseCommand, CommandError

from audit.context import as_command
from subscriptions import services
from subscriptions.management import partner_from_argument, product_from_argument


class Command(BaseCommand):
    help = "Credits a partner's pool with licenses of one product (written to the ledger)."

    def add_arguments(self, parser):
        parser.add_argument("partner", metavar="PARTNER", help="The partner's name or id.")
        parser.add_argument("product", metavar="PRODUCT", help="The product's code (TBOX…).")
        parser.add_argument("quantity", metavar="QUANTITY", help="Licenses to grant (≥ 1).")
        parser.add_argument("--note", default="", help="A note kept on the ledger line.")

    @as_command
    def handle(self, *args, partner, product, quantity, note, **options):
        try:
            quantity = int(quantity)
        except ValueError:
            raise CommandError(f"QUANTITY must be a whole number, not {quantity!r}.") from None
        partner = partner_from_argument(partner)
        product = product_from_argument(product)
        try:
            movement = services.grant_licenses(
                partner=partner, product=product, quantity=quantity, note=note
            )
        except services.OperationRefused as refusal:
            raise CommandError(str(refusal.message)) from None
        self.stdout.write(
            f"Granted {quantity} {product.code} licenses to {partner.name} "
            f"(pool {movement.pool_id}): balance {movement.balance_after}."
        )
