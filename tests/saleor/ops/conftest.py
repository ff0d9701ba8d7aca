"""The plugin configured as a merchant would, with a recording app-side plugin."""

import socket

import pytest

from ..plugin_config import PLUGIN_PATH, WEBHOOK_PLUGIN_PATH, configure  # noqa: F401
from .plugins import RecordingPlugin
from .smtp import SMTPServer

RECORDING_PLUGIN_PATH = "tests.saleor.ops.plugins.RecordingPlugin"


@pytest.fixture
def notified(settings):
    """Plugins as in production plus the recorder; returns what it received."""
    settings.PLUGINS = [WEBHOOK_PLUGIN_PATH, PLUGIN_PATH, RECORDING_PLUGIN_PATH]
    RecordingPlugin.received = []
    configure()
    return RecordingPlugin.received


@pytest.fixture
def smtp_server():
    with SMTPServer() as server:
        yield server


def closed_port() -> int:
    """A local port nothing listens on: the mail server is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def email_settings(port, **extra):
    return {
        "send_emails": True,
        "email_host": "127.0.0.1",
        "email_port": str(port),
        "email_sender_address": "shop@example.com",
        "email_sender_name": "Shop",
        **extra,
    }


@pytest.fixture
def customer_checkout(checkout_ready_to_complete, customer_user):
    """A checkout of the logged-in customer, ready to pay."""
    checkout = checkout_ready_to_complete
    checkout.user = customer_user
    checkout.email = customer_user.email
    checkout.save(update_fields=["user", "email"])
    return checkout
