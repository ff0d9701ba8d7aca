"""On a Saleor older than the supported range, Saleor starts and the plugin stays
off, saying why (log line, Dashboard description and help texts)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

# Saleor's version is faked before Django starts: the same process as a
# Saleor 3.22 with the plugin installed, as far as the plugin can tell.
STARTUP = """
import json, logging, sys
logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
import saleor
saleor.__version__ = "3.22.67"
import django
django.setup()
from django.core.exceptions import ValidationError
from saleor.graphql.api import schema
from saleor_storecredit.plugin import StoreCreditPlugin

plugin = StoreCreditPlugin(configuration=[], active=True)

class Configuration:
    active = True
    configuration = []

try:
    StoreCreditPlugin.validate_plugin_configuration(Configuration())
    refused = None
except ValidationError as error:
    refused = error.message_dict

print(json.dumps({
    "query_fields": [f for f in schema.get_query_type().fields if "storeCredit" in f],
    "user_fields": [f for f in schema.get_type("User").fields if f == "storeCredit"],
    "extended": getattr(schema, "storecredit_extended", False),
    "description": StoreCreditPlugin.PLUGIN_DESCRIPTION,
    "help_text": StoreCreditPlugin.CONFIG_STRUCTURE["channels"]["help_text"],
    "active": plugin.active,
    "refused": refused,
}))
"""


def test_unsupported_saleor_starts_with_the_plugin_off():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.saleor.settings"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *sys.path])
    result = subprocess.run(
        [sys.executable, "-c", STARTUP],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    reason = (
        "Store credit is off: it needs Saleor 3.23 and newer and this is Saleor 3.22.67"
    )
    assert f"saleor-storecredit: {reason}" in result.stderr
    assert answer["query_fields"] == answer["user_fields"] == []
    assert answer["extended"] is False
    assert answer["description"].startswith(reason)
    assert answer["help_text"].startswith(reason)
    assert answer["active"] is False
    assert answer["refused"]["active"][0].startswith(reason)


def test_supported_saleor_says_its_range():
    from saleor_storecredit.plugin import UNSUPPORTED_REASON, StoreCreditPlugin

    assert UNSUPPORTED_REASON is None
    assert "Supports Saleor 3.23 and newer." in StoreCreditPlugin.PLUGIN_DESCRIPTION
