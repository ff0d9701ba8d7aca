"""A plugin that records what `manager.notify` hands to plugins, as apps get it."""

from saleor.plugins.base_plugin import BasePlugin


class RecordingPlugin(BasePlugin):
    PLUGIN_ID = "tests.storecredit.recording"
    PLUGIN_NAME = "Records notifications"
    DEFAULT_ACTIVE = True
    CONFIGURATION_PER_CHANNEL = False

    received: list = []

    def notify(self, event, payload_func, previous_value):
        if not self.active:
            return previous_value
        if str(event).startswith("storecredit_"):
            self.received.append((event, payload_func()))
        return previous_value
