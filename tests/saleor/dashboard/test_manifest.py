"""The manifest: what Saleor validates and what the Dashboard expects of it."""

from saleor.app.manifest_validations import clean_manifest_data

from saleor_storecredit.config import PLUGIN_ID
from saleor_storecredit.dashboard.manifest import (
    APP_IDENTIFIER,
    build_manifest,
    dashboard_url,
    manifest_url,
)

# saleor-dashboard src/extensions/domain/app-extension-manifest-available-mounts.ts
DASHBOARD_WIDGET_MOUNTS = {"CUSTOMER_DETAILS_WIDGETS", "ORDER_DETAILS_WIDGETS"}
DASHBOARD_MOUNTS = DASHBOARD_WIDGET_MOUNTS | {
    "CUSTOMER_DETAILS_MORE_ACTIONS",
    "NAVIGATION_CUSTOMERS",
}
DASHBOARD_TARGETS = {"POPUP", "APP_PAGE", "NEW_TAB", "WIDGET"}


def test_manifest_passes_saleors_validation(db):
    manifest = build_manifest()

    clean_manifest_data(manifest, raise_for_saleor_version=True)

    assert sorted(p.codename for p in manifest["permissions"]) == [
        "handle_payments",
        "manage_orders",
        "manage_users",
    ]


def test_manifest_shape():
    manifest = build_manifest()

    assert manifest["id"] == APP_IDENTIFIER
    # Never the plugin's id: Saleor routes transaction actions of items whose
    # app_identifier matches an app to that app's webhooks.
    assert manifest["id"] != PLUGIN_ID
    assert manifest["name"] == "Store credit"
    assert manifest["tokenTargetUrl"] == dashboard_url("register")
    assert manifest["appUrl"] == dashboard_url("app")
    mounts = {e["mount"]: e for e in manifest["extensions"]}
    assert set(mounts) == DASHBOARD_MOUNTS
    for extension in manifest["extensions"]:
        assert extension["target"] in DASHBOARD_TARGETS
        assert set(extension["permissions"]) <= set(manifest["permissions"])
        if extension["target"] == "WIDGET":
            assert extension["mount"] in DASHBOARD_WIDGET_MOUNTS
            # GET: the Dashboard hands the token over AppBridge, never in a form post.
            assert extension["options"] == {"widgetTarget": {"method": "GET"}}
        if extension["target"] == "APP_PAGE":
            assert extension["url"].startswith("/")
        else:
            assert extension["url"].startswith(dashboard_url())
    assert mounts["ORDER_DETAILS_WIDGETS"]["permissions"] == [
        "MANAGE_ORDERS",
        "MANAGE_USERS",
        "HANDLE_PAYMENTS",
    ]


def test_urls_follow_saleors_public_url(settings):
    settings.PUBLIC_URL = "https://shop.example.net"

    assert manifest_url() == (
        "https://shop.example.net/plugins/global/storecredit.gateway/dashboard/manifest"
    )
