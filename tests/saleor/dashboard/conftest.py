"""The plugin enabled, and the Store credit app installed from its own manifest."""

import pytest
from saleor.permission.models import Permission

from saleor_storecredit.dashboard.install import install_app

from ..plugin_config import PLUGINS, WITHDRAWABLE_STAFF_CREDIT, configure

PLUGIN_URL = "/plugins/global/storecredit.gateway"


@pytest.fixture
def plugin_active(settings):
    settings.PLUGINS = PLUGINS
    configure(
        allow_withdrawals="true",
        withdrawal_minimum="1",
        credit_rules=WITHDRAWABLE_STAFF_CREDIT,
    )


@pytest.fixture
def dashboard_app(plugin_active):
    return install_app()


def permissions(*codenames):
    return list(Permission.objects.filter(codename__in=codenames))


@pytest.fixture(autouse=True)
def third_party_tokens_read_permissions(monkeypatch):
    """Let Saleor's own check of an app token's permissions read the writer.

    Saleor's test settings refuse any query on the writer inside a request;
    Saleor's authentication of third-party (app and extension) tokens reads the
    permission and content-type tables there (saleor/core/auth_backend.py),
    which production only logs. Everything else stays refused.
    """
    from saleor.core.db import connection

    original = connection.restrict_writer
    tables = ('FROM "permission_permission"', 'FROM "django_content_type"')

    def restrict_writer(execute, sql, params, many, context):
        if sql.lstrip().startswith("SELECT") and any(t in sql for t in tables):
            return execute(sql, params, many, context)
        return original(execute, sql, params, many, context)

    monkeypatch.setattr(connection, "restrict_writer", restrict_writer)
