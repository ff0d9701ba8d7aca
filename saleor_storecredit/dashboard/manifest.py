"""The app manifest Saleor reads when staff install the Store credit app.

Mount and target names are the Dashboard's (saleor-dashboard
src/extensions/domain/app-extension-manifest-available-mounts.ts); Saleor stores
them as given. Widgets ask for GET: the Dashboard then loads the page in an
iframe and hands it a token over AppBridge, never in a request body.
"""

from django.urls import reverse

from ..config import PLUGIN_ID
from ..saleor_compat import MINIMUM_VERSION

APP_IDENTIFIER = "storecredit.dashboard"
APP_NAME = "Store credit"
APP_VERSION = "0.1.0"
# The plugin runs on Saleor 3.23 and newer (saleor_compat); so does its app.
REQUIRED_SALEOR_VERSION = ">={}.{}".format(*MINIMUM_VERSION)

MANAGE_USERS = "MANAGE_USERS"
MANAGE_ORDERS = "MANAGE_ORDERS"
HANDLE_PAYMENTS = "HANDLE_PAYMENTS"
APP_PERMISSIONS = [MANAGE_USERS, MANAGE_ORDERS, HANDLE_PAYMENTS]

# Pages: the URL path under <plugin URL>/dashboard/ and what each one shows.
SECTION_PAGE = "app"
PAGES = ("app", "customer-widget", "customer-actions", "order-widget")

_GET_WIDGET = {"widgetTarget": {"method": "GET"}}


def plugin_url() -> str:
    """Absolute URL of the plugin's HTTP endpoint, from Saleor's PUBLIC_URL."""
    from saleor.core.utils import build_absolute_uri

    return build_absolute_uri(
        reverse("plugins-global", kwargs={"plugin_id": PLUGIN_ID})
    ).rstrip("/")


def dashboard_url(path: str = "") -> str:
    return f"{plugin_url()}/dashboard/{path}".rstrip("/")


def manifest_url() -> str:
    return dashboard_url("manifest")


def build_manifest() -> dict:
    app_url = dashboard_url(SECTION_PAGE)
    return {
        "id": APP_IDENTIFIER,
        "version": APP_VERSION,
        "name": APP_NAME,
        "about": (
            "Store credit where staff work: balances and history on the customer "
            "page, credit that paid an order on the order page, and a Store "
            "credit section for accounts, withdrawals, bulk credit and reports. "
            "Served by the store-credit plugin; uninstalling it changes no credit."
        ),
        "author": "saleor-storecredit",
        "permissions": APP_PERMISSIONS,
        "appUrl": app_url,
        "tokenTargetUrl": dashboard_url("register"),
        "requiredSaleorVersion": REQUIRED_SALEOR_VERSION,
        "homepageUrl": app_url,
        "supportUrl": app_url,
        "dataPrivacyUrl": app_url,
        "extensions": [
            {
                "identifier": "customer-widget",
                "label": "Store credit",
                "mount": "CUSTOMER_DETAILS_WIDGETS",
                "target": "WIDGET",
                "url": dashboard_url("customer-widget"),
                "permissions": [MANAGE_USERS],
                "options": _GET_WIDGET,
            },
            {
                "identifier": "customer-actions",
                "label": "Store credit…",
                "mount": "CUSTOMER_DETAILS_MORE_ACTIONS",
                "target": "POPUP",
                "url": dashboard_url("customer-actions"),
                "permissions": [MANAGE_USERS],
            },
            {
                "identifier": "order-widget",
                "label": "Store credit",
                "mount": "ORDER_DETAILS_WIDGETS",
                "target": "WIDGET",
                "url": dashboard_url("order-widget"),
                "permissions": [MANAGE_ORDERS, MANAGE_USERS, HANDLE_PAYMENTS],
                "options": _GET_WIDGET,
            },
            {
                "identifier": "section",
                "label": "Store credit",
                "mount": "NAVIGATION_CUSTOMERS",
                "target": "APP_PAGE",
                # APP_PAGE URLs are relative to appUrl (the Dashboard requires "/").
                "url": "/",
                "permissions": [MANAGE_USERS],
            },
        ],
    }
