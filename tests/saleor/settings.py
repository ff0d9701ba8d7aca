"""Saleor's own test settings with this plugin's Django app installed.

When the package is pip-installed, Saleor's plugin discovery adds the app from
the `saleor.plugins` entry point; when it runs from a checkout on PYTHONPATH it
is added here the same way.
"""

from saleor.tests.settings import *  # noqa: F403
from saleor.tests.settings import INSTALLED_APPS

if "saleor_storecredit" not in INSTALLED_APPS:
    INSTALLED_APPS.append("saleor_storecredit")

# Test databases are flushed with TRUNCATE, which the ledger refuses unless the
# session says so (docs/operations.md).
for _database in DATABASES.values():  # noqa: F405
    _options = _database.setdefault("OPTIONS", {})
    _options["options"] = (
        f"{_options.get('options', '')} -c storecredit.allow_truncate=on"
    )
