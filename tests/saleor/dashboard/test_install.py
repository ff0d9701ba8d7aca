"""The install command, the tokens the Dashboard gives the pages, and uninstalling."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from saleor.app.models import App
from saleor.core.jwt import create_access_token_for_app
from saleor.graphql.app.resolvers import resolve_access_token_for_app_extension
from saleor.graphql.core.utils import to_global_id_or_none

from saleor_storecredit import ledger
from saleor_storecredit.dashboard.manifest import APP_IDENTIFIER, manifest_url
from saleor_storecredit.models import StoreCreditAccount

from .conftest import permissions

ACCOUNTS = """
query ($user: ID!) {
  storeCreditAccounts(first: 5, filter: { users: [$user] }) {
    edges { node { currency balance { amount } } }
  }
}"""


class _Info:
    class context:  # noqa: N801 - shaped like a ResolveInfo's context
        pass


def extension_token(extension, user):
    info = _Info()
    info.context.user = user
    return resolve_access_token_for_app_extension(info, extension, extension.app)


def test_command_prints_the_manifest_url(plugin_active, capsys):
    call_command("storecredit_dashboard")

    assert capsys.readouterr().out.strip() == manifest_url()


def test_command_installs_the_app_once(plugin_active, capsys):
    call_command("storecredit_dashboard", "--install")
    call_command("storecredit_dashboard", "--install")

    out = capsys.readouterr().out
    assert "Installed the Store credit app" in out
    assert "already installed" in out
    app = App.objects.get(identifier=APP_IDENTIFIER)
    assert app.is_active and app.is_installed
    assert app.manifest_url == manifest_url()
    assert sorted(p.codename for p in app.permissions.all()) == [
        "handle_payments",
        "manage_orders",
        "manage_users",
    ]
    extensions = {e.mount: e for e in app.extensions.all()}
    assert set(extensions) == {
        "customer_details_widgets",
        "customer_details_more_actions",
        "order_details_widgets",
        "navigation_customers",
    }
    assert extensions["customer_details_widgets"].target == "widget"
    assert extensions["customer_details_widgets"].http_target_method == "GET"


def test_uninstall_leaves_credit_untouched(plugin_active, customer_user, capsys):
    ledger.credit(customer_user, Decimal("30"), "USD", idempotency_key="uninstall")
    call_command("storecredit_dashboard", "--install")
    before = list(StoreCreditAccount.objects.values("id", "balance", "held"))

    call_command("storecredit_dashboard", "--uninstall")

    assert not App.objects.filter(identifier=APP_IDENTIFIER).exists()
    assert list(StoreCreditAccount.objects.values("id", "balance", "held")) == before
    assert "credit unchanged" in capsys.readouterr().out


def test_widget_token_reads_credit_with_manage_users(
    dashboard_app,
    staff_user,
    customer_user,
    permission_group_manage_users,
    api_client,
):
    permission_group_manage_users.user_set.add(staff_user)
    ledger.credit(customer_user, Decimal("12"), "USD", idempotency_key="widget-token")
    widget = dashboard_app.extensions.get(mount="customer_details_widgets")

    token = extension_token(widget, staff_user)
    response = api_client.post_graphql(
        ACCOUNTS,
        {"user": to_global_id_or_none(customer_user)},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    edges = response.json()["data"]["storeCreditAccounts"]["edges"]
    assert edges == [{"node": {"currency": "USD", "balance": {"amount": 12.0}}}]


def test_staff_without_manage_users_gets_no_widget_and_no_credit(
    dashboard_app, staff_user, customer_user, api_client
):
    staff_user.user_permissions.set(permissions("manage_orders"))
    ledger.credit(customer_user, Decimal("12"), "USD", idempotency_key="refused")
    widget = dashboard_app.extensions.get(mount="customer_details_widgets")

    # The Dashboard gets no token for an extension the user may not use...
    assert extension_token(widget, staff_user) is None
    # ...and the section's token (the app's, limited to the user's) sees nothing.
    token = create_access_token_for_app(dashboard_app, staff_user)
    response = api_client.post_graphql(
        ACCOUNTS,
        {"user": to_global_id_or_none(customer_user)},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    content = response.json()
    edges = (content.get("data") or {}).get("storeCreditAccounts") or {"edges": []}
    assert edges["edges"] == []


@pytest.mark.parametrize("header", [None, "Bearer not-a-token"])
def test_api_refuses_the_pages_queries_without_a_valid_token(
    plugin_active, customer_user, api_client, header
):
    ledger.credit(customer_user, Decimal("12"), "USD", idempotency_key="anon")
    headers = {"HTTP_AUTHORIZATION": header} if header else {}
    response = api_client.post_graphql(
        ACCOUNTS, {"user": to_global_id_or_none(customer_user)}, **headers
    )
    content = response.json()
    data = (content.get("data") or {}).get("storeCreditAccounts")
    assert not data or data["edges"] == []
