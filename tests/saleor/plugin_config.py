"""The store-credit plugin enabled the way a merchant enables it (pluginUpdate)."""

from saleor.plugins.models import PluginConfiguration

from saleor_storecredit.config import DEFAULT_CONFIGURATION, PLUGIN_ID

PLUGIN_PATH = "saleor_storecredit.plugin.StoreCreditPlugin"
WEBHOOK_PLUGIN_PATH = "saleor.plugins.webhook.plugin.WebhookPlugin"
# As in production: the webhook plugin first, then the external plugins.
PLUGINS = [WEBHOOK_PLUGIN_PATH, PLUGIN_PATH]


def configure(active=True, **values):
    """Store the plugin's global configuration as pluginUpdate would."""
    configuration = [dict(item) for item in DEFAULT_CONFIGURATION]
    for item in configuration:
        if item["name"] in values:
            item["value"] = values.pop(item["name"])
    assert not values, f"unknown settings {values}"
    PluginConfiguration.objects.update_or_create(
        identifier=PLUGIN_ID,
        channel=None,
        defaults={"active": active, "configuration": configuration, "name": "x"},
    )


# A shop that lets the store credit it gives by hand be withdrawn and sent:
# for tests about withdrawals and transfers themselves, not about kinds.
WITHDRAWABLE_STAFF_CREDIT = "store_credit:pay+withdraw+transfer"
