"""Statements that every renewal runs, prepared (PostgreSQL).

Django's cursors bind parameters on the client and never prepare: PostgreSQL parses and
plans each statement again at every call, which for a renewal's two statements costs
about as much as running them. A prepared cursor's statements are parsed and planned
once per connection (the connections are kept, CONN_MAX_AGE; a rollback forgets them).
Its parameters are bound on the server, so a parameter whose type the statement does not
imply (a SELECT list's) carries an explicit cast.
"""

from django.db import connection


def prepared_cursor():
    """A cursor that binds on the server, whose statements psycopg prepares from their
    fifth run (settings.py sets `prepare_threshold`), wrapped as Django wraps its own: the
    query log and execute wrappers see them. PostgreSQL only."""
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    return connection._prepare_cursor(ServerBindingCursor(connection.connection))


def fetch_instance(model, sql, params):
    """The `model` instance of the first row of `sql` (its own columns, then any others as
    attributes, as `Model.objects.raw` gives), through a prepared cursor where the
    database has them; None when there is no row."""
    if connection.vendor != "postgresql":
        return next(iter(model.objects.raw(sql, params)), None)
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
        names = [column.name for column in cursor.description]
    if row is None:
        return None
    values = dict(zip(names, row, strict=True))
    fields = model._meta.concrete_fields
    instance = model.from_db(
        connection.alias, [field.attname for field in fields],
        [values.pop(field.column) for field in fields],
    )
    for name, value in values.items():
        setattr(instance, name, value)
    return instance
