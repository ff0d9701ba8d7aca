"""Saleor's settings with this plugin loaded even when it is not pip-installed.

Installed with pip, Saleor finds the plugin through its `saleor.plugins` entry
point; the demo also runs straight from a checkout, so it adds the same two
entries here.
"""

from saleor.settings import *  # noqa: F403
from saleor.settings import INSTALLED_APPS, PLUGINS

PLUGIN_PATH = "saleor_storecredit.plugin.StoreCreditPlugin"

if "saleor_storecredit" not in INSTALLED_APPS:
    INSTALLED_APPS.append("saleor_storecredit")
if PLUGIN_PATH not in PLUGINS:
    PLUGINS.append(PLUGIN_PATH)
