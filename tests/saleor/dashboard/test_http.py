"""What the plugin's URL serves: no data, with or without a token."""

import json
from decimal import Decimal

import pytest
from django.test import Client

from saleor_storecredit import ledger
from saleor_storecredit.dashboard import assets
from saleor_storecredit.dashboard.manifest import build_manifest

from ..plugin_config import PLUGINS, configure
from .conftest import PLUGIN_URL

PAGES = ["app", "app/", "customer-widget", "customer-actions", "order-widget"]


@pytest.fixture
def client():
    return Client()


def test_manifest_is_served(plugin_active, client):
    response = client.get(f"{PLUGIN_URL}/dashboard/manifest")

    assert response.status_code == 200
    assert response.json() == build_manifest()


def test_nothing_is_served_while_the_plugin_is_inactive(settings, db, client):
    settings.PLUGINS = PLUGINS
    configure(active=False)

    for path in ["manifest", "app", f"assets/{next(iter(assets.asset_names()))}"]:
        assert client.get(f"{PLUGIN_URL}/dashboard/{path}").status_code == 404


@pytest.mark.parametrize("page", PAGES)
def test_pages_are_the_built_shell(plugin_active, client, page):
    response = client.get(f"{PLUGIN_URL}/dashboard/{page}")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<meta name="storecredit-api-url" content="/graphql/"' in html
    assert '<div id="root">' in html
    csp = response["Content-Security-Policy"]
    assert "connect-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"


def test_pages_hold_no_data(plugin_active, client, customer_user):
    ledger.credit(customer_user, Decimal("4217.31"), "USD", idempotency_key="http-test")

    for page in PAGES:
        html = client.get(
            f"{PLUGIN_URL}/dashboard/{page}?customerId=x"
        ).content.decode()
        assert customer_user.email not in html
        assert "4217" not in html


def test_every_built_asset_is_served(plugin_active, client):
    names = assets.asset_names()
    assert any(name.endswith(".js") for name in names)
    assert any(name.endswith(".css") for name in names)
    for name in names:
        response = client.get(f"{PLUGIN_URL}/dashboard/assets/{name}")
        assert response.status_code == 200, name
        assert "immutable" in response["Cache-Control"]
    html = client.get(f"{PLUGIN_URL}/dashboard/app").content.decode()
    for name in names:
        if name.endswith((".js", ".css")):
            assert f"./assets/{name}" in html


@pytest.mark.parametrize(
    "path",
    [
        "assets/../../plugin.py",
        "assets/..%2F..%2Fplugin.py",
        "assets/",
        "assets/missing.js",
        "../config.py",
        "build-stamp.json",
        "index.html",
        "anything",
    ],
)
def test_only_known_files_are_served(plugin_active, client, path):
    assert client.get(f"{PLUGIN_URL}/dashboard/{path}").status_code == 404


def test_register_acknowledges_and_keeps_no_token(plugin_active, client):
    response = client.post(
        f"{PLUGIN_URL}/dashboard/register",
        data=json.dumps({"auth_token": "secret-token"}),
        content_type="application/json",
    )

    assert response.status_code == 200
    assert response.json() == {"success": True}


def test_register_refuses_other_requests(plugin_active, client):
    url = f"{PLUGIN_URL}/dashboard/register"
    assert client.get(url).status_code == 405
    assert client.post(url, data="nope", content_type="text/plain").status_code == 400
    assert (
        client.post(url, data="{}", content_type="application/json").status_code == 400
    )


@pytest.mark.parametrize(
    "body",
    [
        "[" * 100_000 + "]" * 100_000,  # nested past Python's recursion limit
        json.dumps({"auth_token": "x" * 100_000}),  # more than Saleor ever sends
    ],
)
def test_register_answers_hostile_bodies_with_400(plugin_active, client, body):
    response = client.post(
        f"{PLUGIN_URL}/dashboard/register", data=body, content_type="application/json"
    )
    assert response.status_code == 400


def test_other_plugin_paths_are_left_alone(plugin_active, client):
    assert client.get(f"{PLUGIN_URL}/other").status_code == 404
    assert client.post(f"{PLUGIN_URL}/dashboard/manifest").status_code == 405
