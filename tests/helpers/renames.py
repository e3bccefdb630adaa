"""Renaming a client by every path there is: what the database keeps from a name (the
subscriptions' copies, the folded name the search compares) must follow each of them."""

from django.db import connection

from subscriptions.models import Client

PATHS = ["save", "update", "sql"]


def rename_client(client, name, how):
    """`how`: a model's save (a form, the admin), a queryset's update(), or plain SQL."""
    if how == "save":
        client.name = name
        client.save()
    elif how == "update":
        Client.objects.filter(pk=client.pk).update(name=name)
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Client._meta.db_table} SET name = %s WHERE id = %s", [name, client.pk]
            )
