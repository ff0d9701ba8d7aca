"""A bare Django project: the ledger must work without Saleor."""

import os
from urllib.parse import unquote, urlparse

SECRET_KEY = "storecredit-tests"
USE_TZ = True
TIME_ZONE = "UTC"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "saleor_storecredit",
]


def database_from_url(url: str) -> dict:
    parsed = urlparse(url)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parsed.path.lstrip("/")) or "postgres",
        "USER": unquote(parsed.username or "postgres"),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or ""),
        "CONN_MAX_AGE": 0,
        # Test databases are flushed with TRUNCATE, which the ledger refuses
        # unless the session says so (docs/operations.md).
        "OPTIONS": {"options": "-c storecredit.allow_truncate=on"},
        "TEST": {"NAME": f"test_{unquote(parsed.path.lstrip('/')) or 'storecredit'}"},
    }


DATABASES = {
    "default": database_from_url(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/storecredit")
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
