"""A bare Django project for the benchmarks: its own database, no Saleor."""

import os
from urllib.parse import unquote, urlparse

SECRET_KEY = "storecredit-benchmarks"
USE_TZ = True
TIME_ZONE = "UTC"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "saleor_storecredit",
]
_url = urlparse(
    os.environ.get(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/storecredit_bench"
    )
)
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(_url.path.lstrip("/")) or "storecredit_bench",
        "USER": unquote(_url.username or "postgres"),
        "PASSWORD": unquote(_url.password or ""),
        "HOST": _url.hostname or "",
        "PORT": str(_url.port or ""),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
