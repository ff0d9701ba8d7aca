"""The Dashboard configuration through pluginUpdate: defaults and validation."""

import pytest
from graphene.utils.str_converters import to_camel_case
from saleor.graphql.tests.utils import get_graphql_content

from saleor_storecredit.config import PLUGIN_ID, get_settings

pytestmark = pytest.mark.django_db

PLUGIN_UPDATE = """
mutation ($id: ID!, $input: PluginUpdateInput!) {
  pluginUpdate(id: $id, input: $input) {
    plugin { globalConfiguration { active configuration { name value } } }
    errors { field message code }
  }
}
"""


def update(staff_api_client, permission_manage_plugins, active=True, **values):
    configuration = [{"name": name, "value": value} for name, value in values.items()]
    content = get_graphql_content(
        staff_api_client.post_graphql(
            PLUGIN_UPDATE,
            {
                "id": PLUGIN_ID,
                "input": {"active": active, "configuration": configuration},
            },
            permissions=[permission_manage_plugins],
        )
    )
    return content["data"]["pluginUpdate"]


def test_inactive_until_enabled_with_documented_defaults(settings):
    settings.PLUGINS = ["saleor_storecredit.plugin.StoreCreditPlugin"]
    current = get_settings()
    assert current.active is False
    assert current.display_name == "Store credit"
    assert current.return_statuses == ["canceled", "expired"]
    assert current.auto_apply is False


def test_valid_configuration_is_saved_and_read_back(
    staff_api_client, permission_manage_plugins, settings, channel_USD
):
    settings.PLUGINS = ["saleor_storecredit.plugin.StoreCreditPlugin"]

    result = update(
        staff_api_client,
        permission_manage_plugins,
        channels=channel_USD.slug,
        minimum_order_total="10.50",
        top_up_bonus_tiers="100:5, 500:10",
        expiry_days="top_up:365, bonus:90",
        return_statuses="canceled, partially fulfilled",
    )

    assert result["errors"] == []
    current = get_settings()
    assert current.active is True
    assert current.channels == [channel_USD.slug]
    assert str(current.minimum_order_total) == "10.50"
    assert current.expiry_days == {"top_up": 365, "bonus": 90}
    assert current.return_statuses == ["canceled", "partially fulfilled"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("minimum_order_total", "-1"),
        ("minimum_order_total", "ten"),
        ("minimum_order_total", "NaN"),
        ("channels", "no-such-channel"),
        ("customer_types", "no-such-type"),
        ("return_statuses", "lost"),
        ("top_up_bonus_tiers", "100"),
        ("top_up_bonus_tiers", "100:500"),
        ("expiry_days", "diamonds:3"),
        ("expiry_days", "top_up:-3"),
        ("abandoned_checkout_minutes", "0"),
        ("top_up_triggers", "canceled"),
        ("staff_notification_emails", "not-an-email"),
        ("display_name", " "),
        ("withdrawal_minimum", "USD:-1"),
        ("withdrawal_minimum", "JPY:3000.5"),
        ("withdrawal_minimum", "USD:0.001"),
        ("withdrawal_minimum", "ZZZ:10"),
        ("withdrawal_minimum", "USD:10, usd:20"),
        ("withdrawal_minimum", "10, 20"),
        ("withdrawal_minimum", "USD 25"),
        ("withdrawal_minimum", "USD:" + "9" * 400),
    ],
)
def test_bad_input_is_refused_with_a_message(
    staff_api_client, permission_manage_plugins, settings, name, value
):
    settings.PLUGINS = ["saleor_storecredit.plugin.StoreCreditPlugin"]

    result = update(staff_api_client, permission_manage_plugins, **{name: value})

    assert result["errors"], result
    assert result["errors"][0]["field"] == to_camel_case(name)
    assert get_settings().active is False


def test_email_settings_are_validated_with_the_gateway_settings(
    staff_api_client, permission_manage_plugins, settings
):
    settings.PLUGINS = ["saleor_storecredit.plugin.StoreCreditPlugin"]

    result = update(
        staff_api_client,
        permission_manage_plugins,
        send_emails="true",
        email_use_tls="true",
        email_use_ssl="true",
    )

    fields = {error["field"] for error in result["errors"]}
    assert {"emailUseTls", "emailUseSsl", "emailHost"} <= fields
    assert get_settings().active is False  # nothing was saved


@pytest.mark.parametrize(
    ("value", "usd", "jpy"),
    [
        # What shops saved before minimums took a currency keeps its meaning.
        ("25", "25", "25"),
        (" 12.50 ", "12.50", "12.50"),
        ("0", "0", "0"),
        ("", "0", "0"),
        ("USD:25, JPY:3000", "25.00", "3000"),
        ("usd:25,\nJPY:3000, 5", "25.00", "3000"),
        ("JPY:0, 5", "5", "0"),
    ],
)
def test_withdrawal_minimum_per_currency_is_saved_and_read_back(
    staff_api_client, permission_manage_plugins, settings, value, usd, jpy
):
    settings.PLUGINS = ["saleor_storecredit.plugin.StoreCreditPlugin"]

    result = update(
        staff_api_client, permission_manage_plugins, withdrawal_minimum=value
    )

    assert result["errors"] == []
    current = get_settings()
    assert current.active is True
    assert str(current.withdrawal_minimum.for_currency("USD")) == usd
    assert str(current.withdrawal_minimum.for_currency("JPY")) == jpy


def test_a_bare_withdrawal_minimum_saved_earlier_keeps_the_plugin_active(settings):
    """A configuration stored before the setting took currencies (written
    directly, as an older version saved it) still parses."""
    from saleor.plugins.models import PluginConfiguration

    settings.PLUGINS = ["saleor_storecredit.plugin.StoreCreditPlugin"]
    PluginConfiguration.objects.create(
        identifier=PLUGIN_ID,
        active=True,
        configuration=[
            {"name": "allow_withdrawals", "value": True},
            {"name": "withdrawal_minimum", "value": "25"},
        ],
    )

    current = get_settings()

    assert current.active is True
    assert current.withdrawal_minimum.for_currency("EUR") == 25
