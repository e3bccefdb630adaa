"""The data of the portal's forms, valid unless changed (one fresh token each)."""

import datetime

from subscriptions.services.idempotency import issue_token

# The first line of a client import's CSV file (docs/interface.md).
IMPORT_HEADER = "client;reseller;product;users;start_date;end_date\n"


def new_client_data(user, **changes):
    data = {
        "name": "Nouvelle Société",
        "product": "TBOX",
        "users": "3",
        "years": "2",
        "start_date": datetime.date.today().isoformat(),
        "reseller": "",
        "token": issue_token(user),
    }
    data.update(changes)
    return data


def allocation(user, **changes):
    data = {"reseller": "", "product": "TBOX", "quantity": "10", "direction": "give",
            "token": issue_token(user)}
    data.update(changes)
    return data
