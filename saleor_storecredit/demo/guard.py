"""The demo loads sample data, creates users and enables the plugin: it must
never run against a shop's database. scripts/demo.sh creates a fresh database
and marks it with a comment; the demo command refuses any other database."""

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection

DEMO_MARK = "saleor-storecredit demo"
DEMO_SETTINGS = "saleor_storecredit.demo.settings"


def database_mark() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
            "WHERE datname = current_database()"
        )
        row = cursor.fetchone()
    return row[0] if row else None


def refuse_unless_demo_database():
    if settings.SETTINGS_MODULE != DEMO_SETTINGS:
        raise CommandError(
            f"storecredit_demo runs only with DJANGO_SETTINGS_MODULE={DEMO_SETTINGS}, "
            "started by `make demo`, on a database it created."
        )
    if database_mark() != DEMO_MARK:
        raise CommandError(
            f"Refusing to run: database {connection.settings_dict['NAME']!r} was not "
            "created by `make demo`. The demo loads sample data and changes "
            "settings; it never runs on a shop's database."
        )
