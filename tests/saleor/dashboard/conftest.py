"""The plugin enabled, and the Store credit app installed from its own manifest."""

import pytest
from saleor.permission.models import Permission

from saleor_storecredit.dashboard.install import install_app

from ..plugin_config import PLUGINS, configure

PLUGIN_URL = "/plugins/global/storecredit.gateway"


@pytest.fixture
def plugin_active(settings):
    settings.PLUGINS = PLUGINS
    configure(allow_withdrawals="true", withdrawal_minimum="1")


@pytest.fixture
def dashboard_app(plugin_active):
    return install_app()


def permissions(*codenames):
    return list(Permission.objects.filter(codename__in=codenames))
