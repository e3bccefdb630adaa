"""The portal's screens, one module per screen family:

- `lists`: the client list and the clients to renew;
- `clients`: a client's record and the creation of a client;
- `renewal`: renewing one subscription;
- `addon`: adding users mid-term (rule 19);
- `bulk`: bulk renewal (rule 13);
- `coterm`: aligning a client's end dates (rule 20);
- `licenses`: the licenses page and allocation to resellers;
- `undo`: undoing the last renewal or add-on (rules 14, 21) and the "not renewing" mark (rule 15);
- `imports`: the client import page;
- `common`: what several of them share (tables' paging, the way back to a list).

Access, in one place:
- `Visible(user)` (selectors.scope) builds every queryset a view reads from
  `visible_to(user)`, so an object outside the user's scope is a 404
  (`get_object_or_404` on a scoped queryset) and a form choice outside it is an invalid
  choice.
- `manager_required` (accounts.access) answers 403 to read-only users before any other
  check of a request that would change something (docs/interface.md).
Writes go through the services only; reads through the selectors.

The names below were those of the single `views` module this package replaces; they stay
importable from `subscriptions.views` for code written against it.
"""

from accounts.access import manager_required

from ..selectors.scope import Visible
from .bulk import bulk_renew
from .clients import client_detail, client_new
from .common import MAX_PER_PAGE, PER_PAGE, configure_table
from .licenses import allocate, licenses
from .lists import client_list, renewals
from .renewal import renew
from .undo import cancel_renewal, not_renewing

__all__ = [
    "MAX_PER_PAGE",
    "PER_PAGE",
    "Visible",
    "allocate",
    "bulk_renew",
    "cancel_renewal",
    "client_detail",
    "client_list",
    "client_new",
    "configure_table",
    "licenses",
    "manager_required",
    "not_renewing",
    "renew",
    "renewals",
]
