"""Telling customers (and staff) what happened to their store credit.

Callers schedule with the `send_*` functions (or `notify_entry` after any ledger
write); nothing is sent before the transaction commits. Delivery runs in a
Celery task, once per event and object, through Saleor's `manager.notify` (apps
subscribed to NOTIFY_USER receive the payload documented in docs/operations.md)
and, when the merchant turned it on, by email with Saleor's email helpers.
Nothing here raises into a payment: scheduling and delivery failures are logged.
"""

import logging
import os
from functools import partial

import graphene
from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime
from babel.numbers import format_currency
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from saleor.account.notifications import get_default_user_payload
from saleor.celeryconf import app
from saleor.core.db.connection import allow_writer
from saleor.core.notification.utils import get_site_context
from saleor.core.notify import NotifyHandler
from saleor.plugins.email_common import EmailConfig, send_email
from saleor.plugins.manager import get_plugins_manager

from .config import get_settings
from .models import (
    EntryKind,
    Reason,
    StoreCreditEntry,
    StoreCreditLot,
    StoreCreditWithdrawal,
)
from .money import quantize
from .notifications_config import (
    DEFAULT_TEMPLATE,
    StoreCreditNotifyEvent,
    parse_notification_settings,
)

logger = logging.getLogger(__name__)

TEMPLATES_DIR = os.path.join(
    os.path.dirname(__file__), "templates", "storecredit", "emails"
)
# How long a delivered notification is remembered, so a re-delivered or
# repeated task does not send it again.
SENT_MARKER_TIMEOUT = 60 * 60 * 24 * 14

# Entries that return money the customer had paid with.
RETURN_REASONS = frozenset(
    {Reason.REFUND, Reason.ORDER_CANCELLATION, Reason.ORDER_RETURN}
)

DEFAULT_SUBJECTS = {
    "en": {
        StoreCreditNotifyEvent.CREDIT_ADDED: "{{ site_name }}: {{ entry.amount_display }} store credit added",
        StoreCreditNotifyEvent.CREDIT_RETURNED: "{{ site_name }}: {{ entry.amount_display }} returned to your store credit",
        StoreCreditNotifyEvent.EXPIRY_REMINDER: "{{ site_name }}: {{ lot.remaining_amount_display }} store credit expires soon",
        StoreCreditNotifyEvent.CREDIT_EXPIRED: "{{ site_name }}: {{ entry.amount_display }} store credit expired",
        StoreCreditNotifyEvent.WITHDRAWAL_STATUS_CHANGED: "{{ site_name }}: your withdrawal request is {{ withdrawal.status_display }}",
        StoreCreditNotifyEvent.WITHDRAWAL_REQUESTED: "{{ site_name }}: new store-credit withdrawal request ({{ withdrawal.amount_display }})",
    },
    "de": {
        StoreCreditNotifyEvent.CREDIT_ADDED: "{{ site_name }}: {{ entry.amount_display }} Guthaben gutgeschrieben",
        StoreCreditNotifyEvent.CREDIT_RETURNED: "{{ site_name }}: {{ entry.amount_display }} Ihrem Guthaben erstattet",
        StoreCreditNotifyEvent.EXPIRY_REMINDER: "{{ site_name }}: {{ lot.remaining_amount_display }} Guthaben verfällt bald",
        StoreCreditNotifyEvent.CREDIT_EXPIRED: "{{ site_name }}: {{ entry.amount_display }} Guthaben verfallen",
        StoreCreditNotifyEvent.WITHDRAWAL_STATUS_CHANGED: "{{ site_name }}: Ihre Auszahlungsanfrage: {{ withdrawal.status_display }}",
    },
}

STATUS_LABELS = {
    "en": {
        "pending": "pending",
        "approved": "approved",
        "rejected": "rejected",
        "paid": "paid",
        "canceled": "canceled",
    },
    "de": {
        "pending": "in Bearbeitung",
        "approved": "genehmigt",
        "rejected": "abgelehnt",
        "paid": "ausgezahlt",
        "canceled": "storniert",
    },
}


# --- scheduling (callers) ------------------------------------------------------


def notify_entry(entry: StoreCreditEntry):
    """The one call after a ledger write: tells the customer if the entry concerns them.

    Credits tell "credit added"; refunds and credits for cancellations or returns
    tell "credit returned"; expiries tell "credit expired". Debits, holds and
    reversals send nothing.
    """
    event = entry_event(entry)
    if event is not None:
        _schedule(event, entry.pk)


def entry_event(entry: StoreCreditEntry) -> str | None:
    if entry.kind == EntryKind.EXPIRY:
        return StoreCreditNotifyEvent.CREDIT_EXPIRED
    if entry.kind == EntryKind.REFUND or (
        entry.kind == EntryKind.CREDIT and entry.reason in RETURN_REASONS
    ):
        return StoreCreditNotifyEvent.CREDIT_RETURNED
    if entry.kind == EntryKind.CREDIT:
        return StoreCreditNotifyEvent.CREDIT_ADDED
    return None


def send_credit_added(entry: StoreCreditEntry):
    _schedule(StoreCreditNotifyEvent.CREDIT_ADDED, entry.pk)


def send_credit_returned(entry: StoreCreditEntry):
    _schedule(StoreCreditNotifyEvent.CREDIT_RETURNED, entry.pk)


def send_credit_expired(entry: StoreCreditEntry):
    _schedule(StoreCreditNotifyEvent.CREDIT_EXPIRED, entry.pk)


def send_expiry_reminder(lot: StoreCreditLot):
    _schedule(StoreCreditNotifyEvent.EXPIRY_REMINDER, lot.pk)


def send_withdrawal_requested(withdrawal: StoreCreditWithdrawal):
    """Tell staff (the configured addresses) about a new withdrawal request."""
    _schedule(StoreCreditNotifyEvent.WITHDRAWAL_REQUESTED, withdrawal.pk)


def send_withdrawal_status_changed(withdrawal: StoreCreditWithdrawal):
    """Tell the customer their withdrawal is now `withdrawal.status`.

    The status is part of the task's arguments, so each change is told once
    even when a later change happens before the first task runs.
    """
    _schedule(
        StoreCreditNotifyEvent.WITHDRAWAL_STATUS_CHANGED,
        withdrawal.pk,
        status=withdrawal.status,
    )


def _schedule(event: str, object_id: int, status: str = ""):
    transaction.on_commit(partial(_enqueue, event, object_id, status), robust=True)


def _enqueue(event: str, object_id: int, status: str):
    try:
        send_store_credit_notification_task.delay(event, object_id, status)
    except Exception:
        # A broker outage must not turn a committed payment into an error.
        logger.exception(
            "Could not queue store-credit notification",
            extra={"event": event, "object_id": object_id},
        )


# --- the task --------------------------------------------------------------------


@app.task
@allow_writer()
def send_store_credit_notification_task(event: str, object_id: int, status: str = ""):
    """Deliver one notification; repeated or re-delivered tasks send nothing more."""
    deliver(event, object_id, status)


def deliver(event: str, object_id: int, status: str = "") -> bool:
    """Build the payload and hand it to apps and email. Returns whether it was sent."""
    if event not in StoreCreditNotifyEvent.CHOICES:
        logger.error("Unknown store-credit notification %r", event)
        return False
    store_settings = get_settings()
    if not store_settings.active:
        return False
    payload = build_payload(event, object_id, status, store_settings)
    if payload is None:
        return False
    marker = f"storecredit:notified:{event}:{object_id}:{status}"
    if not cache.add(marker, True, timeout=SENT_MARKER_TIMEOUT):
        return False
    options = parse_notification_settings(store_settings.raw)
    if options.notify_apps:
        _notify_apps(event, payload)
    if options.send_emails:
        _send_email(event, payload, options)
    return True


def _notify_apps(event: str, payload: dict):
    try:
        manager = get_plugins_manager(allow_replica=False)
        handler = NotifyHandler(lambda: payload)
        manager.notify(event, payload_func=handler.payload)
    except Exception:
        logger.exception("Store-credit notify failed", extra={"event": event})


def _send_email(event: str, payload: dict, options):
    recipients = payload.get("recipient_list") or (
        [payload["recipient_email"]] if payload.get("recipient_email") else []
    )
    if not recipients:
        return
    if not options.smtp_configured:
        logger.warning(
            "Store-credit emails are on but SMTP is not configured",
            extra={"event": event},
        )
        return
    language = payload.get("language_code") or ""
    template = options.templates.get(event, DEFAULT_TEMPLATE)
    if not template or not template.strip():
        return
    if template.strip() == DEFAULT_TEMPLATE:
        template = default_template(event, language)
    subject = options.subjects.get(event) or default_subject(event, language)
    try:
        send_email(
            config=EmailConfig(**options.smtp),
            recipient_list=recipients,
            context=payload,
            subject=subject,
            template_str=template,
        )
    except Exception:
        # A mail server outage is the shop's problem to fix, not the customer's.
        logger.exception("Store-credit email failed", extra={"event": event})


# --- payloads ------------------------------------------------------------------


def build_payload(
    event: str, object_id: int, status: str = "", store_settings=None
) -> dict | None:
    """The documented payload of `event`, or None when there is nobody to tell."""
    if event == StoreCreditNotifyEvent.EXPIRY_REMINDER:
        lot = (
            StoreCreditLot.objects.select_related("account__user")
            .filter(pk=object_id)
            .first()
        )
        if lot is None or lot.remaining_amount <= 0:
            return None
        account = lot.account
        language = _language(account)
        payload = {"lot": lot_payload(lot, language)}
    elif event in (
        StoreCreditNotifyEvent.WITHDRAWAL_REQUESTED,
        StoreCreditNotifyEvent.WITHDRAWAL_STATUS_CHANGED,
    ):
        withdrawal = (
            StoreCreditWithdrawal.objects.select_related("account__user")
            .filter(pk=object_id)
            .first()
        )
        if withdrawal is None:
            return None
        account = withdrawal.account
        if event == StoreCreditNotifyEvent.WITHDRAWAL_REQUESTED:
            store_settings = store_settings or get_settings()
            staff = list(store_settings.staff_notification_emails)
            language = settings.LANGUAGE_CODE
            return {
                "withdrawal": withdrawal_payload(withdrawal, language),
                "store_credit": account_payload(account, language),
                "customer_email": account.email,
                "recipient_list": staff,
                "language_code": language,
                **get_site_context(),
            }
        language = _language(account)
        payload = {
            "withdrawal": withdrawal_payload(withdrawal, language, status=status)
        }
    else:
        entry = (
            StoreCreditEntry.objects.select_related("account__user", "lot")
            .filter(pk=object_id)
            .first()
        )
        if entry is None:
            return None
        account = entry.account
        language = _language(account)
        payload = {"entry": entry_payload(entry, language)}
    user = account.user
    if user is None or not user.is_active or not user.email:
        return None
    return {
        **payload,
        "store_credit": account_payload(account, language),
        "user": get_default_user_payload(user),
        "recipient_email": user.email,
        "language_code": language,
        **get_site_context(),
    }


def account_payload(account, language: str) -> dict:
    return {
        "id": graphene.Node.to_global_id("StoreCreditAccount", account.pk),
        "currency": account.currency,
        "balance": _amount(account.balance, account.currency),
        "available": _amount(account.available, account.currency),
        "balance_display": _money(account.balance, account.currency, language),
        "available_display": _money(account.available, account.currency, language),
    }


def entry_payload(entry, language: str) -> dict:
    currency = entry.account.currency
    amount = abs(entry.amount)
    lot = entry.lot
    expires_at = lot.expires_at if lot is not None and entry.amount > 0 else None
    return {
        "id": graphene.Node.to_global_id("StoreCreditTransaction", entry.pk),
        "kind": entry.kind,
        "reason": entry.reason,
        "amount": _amount(amount, currency),
        "currency": currency,
        "amount_display": _money(amount, currency, language),
        "balance_after": _amount(entry.balance_after, currency),
        "balance_after_display": _money(entry.balance_after, currency, language),
        "customer_note": entry.customer_note,
        # A transfer's note is the sending customer's text, not the shop's.
        "note_from_sender": entry.reason == Reason.TRANSFER,
        "expires_at": expires_at.isoformat() if expires_at else None,
        "expires_at_display": _date(expires_at, language),
        "order_id": _global_id("Order", entry.order_id),
        "created_at": entry.created_at.isoformat(),
    }


def lot_payload(lot, language: str) -> dict:
    currency = lot.account.currency
    return {
        "id": lot.pk,
        "kind": lot.kind,
        "remaining_amount": _amount(lot.remaining_amount, currency),
        "currency": currency,
        "remaining_amount_display": _money(lot.remaining_amount, currency, language),
        "expires_at": lot.expires_at.isoformat() if lot.expires_at else None,
        "expires_at_display": _date(lot.expires_at, language),
    }


def withdrawal_payload(withdrawal, language: str, status: str = "") -> dict:
    currency = withdrawal.account.currency
    status = status or withdrawal.status
    return {
        "id": graphene.Node.to_global_id("StoreCreditWithdrawal", withdrawal.pk),
        "status": status,
        "status_display": _status_label(status, language),
        "amount": _amount(withdrawal.amount, currency),
        "currency": currency,
        "amount_display": _money(withdrawal.amount, currency, language),
        "customer_note": withdrawal.customer_note,
        "staff_note": withdrawal.staff_note,
        "created_at": withdrawal.created_at.isoformat(),
    }


def _global_id(type_name: str, value) -> str | None:
    return graphene.Node.to_global_id(type_name, value) if value else None


# --- language ----------------------------------------------------------------------


def _language(account) -> str:
    user = account.user
    return (getattr(user, "language_code", "") or settings.LANGUAGE_CODE).lower()


def _locale(language: str) -> Locale:
    for candidate in (language.replace("-", "_"), language.split("-")[0], "en"):
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError):
            continue
    return Locale("en")


def _amount(amount, currency: str) -> str:
    return str(quantize(amount, currency))


def _money(amount, currency: str, language: str) -> str:
    return format_currency(amount, currency, locale=_locale(language))


def _date(value, language: str) -> str | None:
    if value is None:
        return None
    return format_datetime(value, format="medium", locale=_locale(language))


def _status_label(status: str, language: str) -> str:
    labels = STATUS_LABELS.get(_base_language(language), STATUS_LABELS["en"])
    return labels.get(status, status)


def _base_language(language: str) -> str:
    return (language or "en").split("-")[0].split("_")[0].lower()


def default_subject(event: str, language: str) -> str:
    subjects = DEFAULT_SUBJECTS.get(_base_language(language), {})
    return subjects.get(event) or DEFAULT_SUBJECTS["en"][event]


def default_template(event: str, language: str) -> str:
    """The built-in template in the customer's language, else English."""
    for directory in (
        os.path.join(TEMPLATES_DIR, _base_language(language)),
        TEMPLATES_DIR,
    ):
        path = os.path.join(directory, f"{event}.html")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as template:
                return template.read()
    raise FileNotFoundError(f"No default template for {event}")
