"""Dashboard settings of the plugin's notifications, merged into the plugin's own.

The gateway's CONFIG_STRUCTURE and DEFAULT_CONFIGURATION include these, so the
merchant edits every store-credit setting on one plugin page.
"""

NOTIFICATION_DEFAULT_CONFIGURATION: list[dict] = []

NOTIFICATION_CONFIG_STRUCTURE: dict = {}
