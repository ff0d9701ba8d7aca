"""Dashboard settings of the plugin's notifications, merged into the plugin's own.

The gateway's CONFIG_STRUCTURE and DEFAULT_CONFIGURATION include these, so the
merchant edits every store-credit setting on one plugin page. Staff addresses
and reminder days are gateway settings (config.py: `staff_notification_emails`,
`expiry_reminder_days`). Field types are
Saleor's ConfigurationTypeField values, written out so this module also loads
where Saleor is not installed.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

BOOLEAN = "Boolean"
STRING = "String"
MULTILINE = "Multiline"
PASSWORD = "Password"

# Saleor's convention (saleor.plugins.email_common): "DEFAULT" uses the
# built-in template, an empty template sends no email for that event.
DEFAULT_TEMPLATE = "DEFAULT"


class StoreCreditNotifyEvent:
    """Event names passed to `manager.notify`; stable, documented in docs/operations.md."""

    CREDIT_ADDED = "storecredit_credit_added"
    CREDIT_RETURNED = "storecredit_credit_returned"
    EXPIRY_REMINDER = "storecredit_expiry_reminder"
    CREDIT_EXPIRED = "storecredit_credit_expired"
    WITHDRAWAL_STATUS_CHANGED = "storecredit_withdrawal_status_changed"
    # To staff, not the customer.
    WITHDRAWAL_REQUESTED = "storecredit_withdrawal_requested"

    CUSTOMER_EVENTS = [
        CREDIT_ADDED,
        CREDIT_RETURNED,
        EXPIRY_REMINDER,
        CREDIT_EXPIRED,
        WITHDRAWAL_STATUS_CHANGED,
    ]
    STAFF_EVENTS = [WITHDRAWAL_REQUESTED]
    CHOICES = CUSTOMER_EVENTS + STAFF_EVENTS


EVENT_LABELS = {
    StoreCreditNotifyEvent.CREDIT_ADDED: "Credit added",
    StoreCreditNotifyEvent.CREDIT_RETURNED: "Credit returned (refund, cancellation)",
    StoreCreditNotifyEvent.EXPIRY_REMINDER: "Credit expiring soon",
    StoreCreditNotifyEvent.CREDIT_EXPIRED: "Credit expired",
    StoreCreditNotifyEvent.WITHDRAWAL_STATUS_CHANGED: "Withdrawal status changed",
    StoreCreditNotifyEvent.WITHDRAWAL_REQUESTED: "Staff: new withdrawal request",
}

NOTIFY_APPS = "notify_apps"
SEND_EMAILS = "send_emails"

# SMTP fields, named after saleor.plugins.email_common.EmailConfig with a prefix
# so they cannot clash with the gateway's own settings.
SMTP_FIELDS = {
    "email_host": ("host", STRING, "SMTP host", "The host to use for sending email."),
    "email_port": ("port", STRING, "SMTP port", "Port of the SMTP server."),
    "email_username": ("username", STRING, "SMTP user", "User for the SMTP server."),
    "email_password": ("password", PASSWORD, "SMTP password", "Password."),
    "email_sender_name": (
        "sender_name",
        STRING,
        "Sender name",
        "Name shown as the sender.",
    ),
    "email_sender_address": (
        "sender_address",
        STRING,
        "Sender email",
        "Address shown as the sender.",
    ),
    "email_use_tls": (
        "use_tls",
        BOOLEAN,
        "Use TLS",
        "Explicit TLS, usually port 587. Use TLS and Use SSL are exclusive.",
    ),
    "email_use_ssl": (
        "use_ssl",
        BOOLEAN,
        "Use SSL",
        "Implicit TLS, usually port 465. Use TLS and Use SSL are exclusive.",
    ),
}


def subject_field(event: str) -> str:
    return f"{event}_subject"


def template_field(event: str) -> str:
    return f"{event}_template"


def _structure() -> dict:
    structure = {
        NOTIFY_APPS: {
            "type": BOOLEAN,
            "label": "Notify apps",
            "help_text": (
                "Send store-credit events through Saleor's notify (apps subscribed "
                "to NOTIFY_USER receive them)."
            ),
        },
        SEND_EMAILS: {
            "type": BOOLEAN,
            "label": "Send emails",
            "help_text": "Email customers directly with the SMTP settings below.",
        },
    }
    for name, (_, type_, label, help_text) in SMTP_FIELDS.items():
        structure[name] = {"type": type_, "label": label, "help_text": help_text}
    for event in StoreCreditNotifyEvent.CHOICES:
        label = EVENT_LABELS[event]
        structure[subject_field(event)] = {
            "type": STRING,
            "label": f"{label}: email subject",
            "help_text": "Handlebars; leave empty for the default subject in the "
            "customer's language.",
        }
        structure[template_field(event)] = {
            "type": MULTILINE,
            "label": f"{label}: email template",
            "help_text": 'Handlebars HTML. "DEFAULT" uses the built-in template in '
            "the customer's language; empty sends no email for this event.",
        }
    return structure


def _defaults() -> list[dict]:
    defaults = [
        {"name": NOTIFY_APPS, "value": True},
        {"name": SEND_EMAILS, "value": False},
    ]
    for name, (_, type_, _, _) in SMTP_FIELDS.items():
        defaults.append({"name": name, "value": False if type_ == BOOLEAN else ""})
    for event in StoreCreditNotifyEvent.CHOICES:
        defaults.append({"name": subject_field(event), "value": ""})
        defaults.append({"name": template_field(event), "value": DEFAULT_TEMPLATE})
    return defaults


NOTIFICATION_CONFIG_STRUCTURE: dict = _structure()

NOTIFICATION_DEFAULT_CONFIGURATION: list[dict] = _defaults()


@dataclass(frozen=True)
class NotificationSettings:
    """The notification part of the plugin configuration, parsed."""

    notify_apps: bool = True
    send_emails: bool = False
    smtp: dict = field(default_factory=dict)
    subjects: dict = field(default_factory=dict)
    templates: dict = field(default_factory=dict)

    @property
    def smtp_configured(self) -> bool:
        return bool(
            self.smtp.get("host")
            and self.smtp.get("port")
            and self.smtp.get("sender_address")
        )


def _flag(value, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1", "yes", "on")


def parse_notification_settings(raw: dict) -> NotificationSettings:
    """Read the notification keys of a plugin configuration ({name: value})."""
    raw = raw or {}
    smtp = {}
    for name, (attribute, type_, _, _) in SMTP_FIELDS.items():
        value = raw.get(name)
        smtp[attribute] = (
            _flag(value, False) if type_ == BOOLEAN else (value or "").strip() or None
        )
    subjects, templates = {}, {}
    for event in StoreCreditNotifyEvent.CHOICES:
        subjects[event] = (raw.get(subject_field(event)) or "").strip()
        template = raw.get(template_field(event))
        templates[event] = DEFAULT_TEMPLATE if template is None else template
    return NotificationSettings(
        notify_apps=_flag(raw.get(NOTIFY_APPS), True),
        send_emails=_flag(raw.get(SEND_EMAILS), False),
        smtp=smtp,
        subjects=subjects,
        templates=templates,
    )


def validate_notification_configuration(raw: dict):
    """Errors the Dashboard should show for the notification settings.

    For the plugin's `validate_plugin_configuration`: raises django's
    ValidationError keyed by setting name. Emails need an SMTP host, port and
    sender; TLS and SSL exclude each other.
    """
    options = parse_notification_settings(raw)
    errors = {}
    if options.smtp["use_tls"] and options.smtp["use_ssl"]:
        message = "Use TLS and Use SSL are mutually exclusive; set only one."
        errors["email_use_tls"] = ValidationError(message, code="invalid")
        errors["email_use_ssl"] = ValidationError(message, code="invalid")
    if options.send_emails:
        for name, attribute in (
            ("email_host", "host"),
            ("email_port", "port"),
            ("email_sender_address", "sender_address"),
        ):
            if not options.smtp[attribute]:
                label = SMTP_FIELDS[name][2]
                errors[name] = ValidationError(
                    f"{label} is needed to send emails.", code="required"
                )
    port = options.smtp["port"]
    if port and not (port.isdigit() and 0 < int(port) < 65536):
        errors["email_port"] = ValidationError(
            "SMTP port must be a number from 1 to 65535.", code="invalid"
        )
    sender = options.smtp["sender_address"]
    if sender:
        try:
            validate_email(sender)
        except ValidationError:
            errors["email_sender_address"] = ValidationError(
                "Sender email is not an email address.", code="invalid"
            )
    if errors:
        raise ValidationError(errors)
