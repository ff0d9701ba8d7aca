"""The notification settings parse without Saleor, and Saleor-side checks stay quiet."""

import pytest

from saleor_storecredit.config import CONFIG_STRUCTURE, DEFAULT_CONFIGURATION
from saleor_storecredit.notifications_config import (
    DEFAULT_TEMPLATE,
    NOTIFICATION_CONFIG_STRUCTURE,
    NOTIFICATION_DEFAULT_CONFIGURATION,
    StoreCreditNotifyEvent,
    parse_notification_settings,
)
from saleor_storecredit.saleor_checks import find_saleor_problems


def test_every_setting_has_a_default_and_one_entry_in_the_plugin():
    names = [item["name"] for item in DEFAULT_CONFIGURATION]
    assert len(names) == len(set(names))
    assert set(NOTIFICATION_CONFIG_STRUCTURE) == {
        item["name"] for item in NOTIFICATION_DEFAULT_CONFIGURATION
    }
    assert set(NOTIFICATION_CONFIG_STRUCTURE) <= set(CONFIG_STRUCTURE)
    for event in StoreCreditNotifyEvent.CHOICES:
        assert f"{event}_template" in CONFIG_STRUCTURE
        assert f"{event}_subject" in CONFIG_STRUCTURE


def test_defaults_notify_apps_and_send_no_email():
    raw = {item["name"]: item["value"] for item in DEFAULT_CONFIGURATION}
    options = parse_notification_settings(raw)
    assert options.notify_apps and not options.send_emails
    assert not options.smtp_configured
    assert set(options.templates.values()) == {DEFAULT_TEMPLATE}


def test_values_arrive_as_strings_from_the_dashboard():
    options = parse_notification_settings(
        {
            "send_emails": "true",
            "notify_apps": "false",
            "email_host": " smtp.example.com ",
            "email_port": "587",
            "email_sender_address": "shop@example.com",
            "email_use_tls": "true",
            "storecredit_credit_added_template": "",
        }
    )
    assert options.send_emails and not options.notify_apps
    assert options.smtp["host"] == "smtp.example.com"
    assert options.smtp["use_tls"] is True and options.smtp["use_ssl"] is False
    assert options.smtp_configured
    assert options.templates[StoreCreditNotifyEvent.CREDIT_ADDED] == ""


def test_saleor_checks_find_nothing_without_saleor(db):
    assert find_saleor_problems() == []


def test_validation_of_the_email_settings():
    from django.core.exceptions import ValidationError

    from saleor_storecredit.notifications_config import (
        validate_notification_configuration,
    )

    validate_notification_configuration({"send_emails": False})
    validate_notification_configuration(
        {
            "send_emails": True,
            "email_host": "smtp.example.com",
            "email_port": "587",
            "email_sender_address": "shop@example.com",
        }
    )
    with pytest.raises(ValidationError) as error:
        validate_notification_configuration(
            {
                "send_emails": True,
                "email_port": "70000",
                "email_sender_address": "not an address",
                "email_use_tls": True,
                "email_use_ssl": "true",
            }
        )
    assert set(error.value.error_dict) == {
        "email_host",
        "email_port",
        "email_sender_address",
        "email_use_tls",
        "email_use_ssl",
    }
