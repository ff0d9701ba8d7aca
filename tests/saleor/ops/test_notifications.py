"""Customers and staff are told, after commit, once; a mail outage breaks nothing."""

import logging
from decimal import Decimal

import graphene
import pytest
from django.core.cache import cache

from saleor_storecredit import ledger, notifications, transfers, withdrawals
from saleor_storecredit.actors import Actor
from saleor_storecredit.ledger.verification import find_problems
from saleor_storecredit.models import StoreCreditEntry
from saleor_storecredit.notifications import send_store_credit_notification_task
from saleor_storecredit.notifications_config import StoreCreditNotifyEvent as Event

from ..plugin_config import WITHDRAWABLE_STAFF_CREDIT
from .conftest import closed_port, configure, email_settings
from .utils import in_days

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_markers():
    cache.clear()
    yield
    assert find_problems() == []


def credit(user, amount="10.00", **kwargs):
    kwargs.setdefault("idempotency_key", f"credit-{amount}-{kwargs.get('reason')}")
    return ledger.credit(user, amount, "USD", **kwargs)


def test_credit_added_reaches_apps_after_commit_with_the_documented_payload(
    notified, customer_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        entry = credit(
            customer_user,
            "12.50",
            customer_note="Sorry for the delay",
            expires_at=in_days(30),
        )
        notifications.notify_entry(entry)
        assert notified == []  # nothing before commit
    assert len(callbacks) == 1

    ((event, payload),) = notified
    assert event == Event.CREDIT_ADDED == "storecredit_credit_added"
    assert payload["recipient_email"] == customer_user.email
    assert payload["user"]["id"] == graphene.Node.to_global_id("User", customer_user.pk)
    assert payload["user"]["email"] == customer_user.email
    assert payload["entry"] == {
        "id": graphene.Node.to_global_id("StoreCreditTransaction", entry.pk),
        "kind": "credit",
        "reason": "manual",
        "amount": "12.50",
        "currency": "USD",
        "amount_display": "$12.50",
        "balance_after": "12.50",
        "balance_after_display": "$12.50",
        "customer_note": "Sorry for the delay",
        "note_from_sender": False,
        "expires_at": entry.lot.expires_at.isoformat(),
        "expires_at_display": payload["entry"]["expires_at_display"],
        "order_id": None,
        "created_at": entry.created_at.isoformat(),
    }
    assert payload["entry"]["expires_at_display"]
    assert payload["store_credit"]["balance"] == "12.50"
    assert payload["store_credit"]["available"] == "12.50"
    assert payload["store_credit"]["currency"] == "USD"
    assert payload["language_code"] == "en"
    assert {"domain", "site_name", "logo_url"} <= payload.keys()


@pytest.mark.parametrize(
    ("kwargs", "event"),
    [
        ({"reason": "order_cancellation"}, Event.CREDIT_RETURNED),
        ({"reason": "order_return"}, Event.CREDIT_RETURNED),
        ({"reason": "bonus", "kind": "bonus"}, Event.CREDIT_ADDED),
    ],
)
def test_entries_are_told_by_what_they_mean(
    notified, customer_user, django_capture_on_commit_callbacks, kwargs, event
):
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify_entry(credit(customer_user, **kwargs))
    assert [e for e, _ in notified] == [event]


def test_debits_and_holds_tell_nothing(
    notified, customer_user, django_capture_on_commit_callbacks
):
    credit(customer_user)
    with django_capture_on_commit_callbacks(execute=True):
        debit = ledger.debit(customer_user, "1", "USD", idempotency_key="d")
        hold = ledger.authorize(customer_user, "1", "USD", idempotency_key="a")
        release = ledger.release(hold, idempotency_key="r")
        for entry in (debit, hold.entries.order_by("pk").first(), release):
            notifications.notify_entry(entry)
    assert notified == []


def test_a_redelivered_or_repeated_notification_is_sent_once(
    notified, customer_user, smtp_server
):
    configure(**email_settings(smtp_server.port))
    entry = credit(customer_user)

    for _ in range(3):
        send_store_credit_notification_task.delay(Event.CREDIT_ADDED, entry.pk)

    assert len(notified) == 1
    assert len(smtp_server.messages) == 1


def test_email_uses_the_default_template_and_settings(
    notified, customer_user, smtp_server
):
    configure(**email_settings(smtp_server.port))
    entry = credit(customer_user, "7.25", customer_note="For your patience")

    send_store_credit_notification_task.delay(Event.CREDIT_ADDED, entry.pk)

    ((recipients, message),) = smtp_server.messages
    assert recipients == [customer_user.email]
    assert message["From"] == "Shop <shop@example.com>"
    assert "$7.25 store credit added" in message["Subject"]
    html = message.get_body(("html",)).get_content()
    assert "$7.25 of store credit was added" in html
    assert "For your patience" in html


@pytest.mark.parametrize("language", ["en", "de"])
def test_a_transfer_note_is_mailed_as_the_senders_escaped_text(
    notified, customer_user, customer_user2, smtp_server, language
):
    configure(**email_settings(smtp_server.port), allow_transfers="true")
    customer_user2.language_code = language
    customer_user2.save(update_fields=["language_code"])
    credit(customer_user, "20.00")
    note = '<b onclick="x()">Urgent</b> & <img src=x> "call us"'

    result = transfers.send_credit(
        customer_user, customer_user2.email, "5", "USD", idempotency_key="t", note=note
    )
    send_store_credit_notification_task.delay(Event.CREDIT_ADDED, result.credit.pk)

    ((recipients, message),) = smtp_server.messages
    assert recipients == [customer_user2.email]
    html = message.get_body(("html",)).get_content()
    assert "&lt;b onclick=&quot;x()&quot;&gt;Urgent&lt;/b&gt; &amp; &lt;img" in html
    assert "<b " not in html and "<img" not in html and "<a " not in html
    assert ("not from" if language == "en" else "nicht von") in html
    assert notified[-1][1]["entry"]["note_from_sender"] is True
    assert notified[-1][1]["entry"]["customer_note"] == note  # stored as written


def test_email_in_the_customers_language(notified, customer_user, smtp_server):
    configure(**email_settings(smtp_server.port))
    customer_user.language_code = "de"
    customer_user.save(update_fields=["language_code"])
    entry = ledger.credit(customer_user, "7.25", "EUR", idempotency_key="eur")

    send_store_credit_notification_task.delay(Event.CREDIT_ADDED, entry.pk)

    ((_, message),) = smtp_server.messages
    assert "7,25\xa0€ Guthaben gutgeschrieben" in message["Subject"]
    assert (
        "wurden 7,25\xa0€ Guthaben gutgeschrieben"
        in message.get_body(("html",)).get_content()
    )
    assert notified[0][1]["language_code"] == "de"


def test_templates_and_subjects_from_the_configuration(
    notified, customer_user, smtp_server
):
    configure(
        **email_settings(smtp_server.port),
        storecredit_credit_added_subject="Credit: {{ entry.amount }}",
        storecredit_credit_added_template="<p>Now {{ store_credit.balance }}</p>",
        storecredit_credit_returned_template="",  # no email for this event
    )
    added = credit(customer_user, "3.00")
    returned = credit(customer_user, "2.00", reason="order_cancellation")

    send_store_credit_notification_task.delay(Event.CREDIT_ADDED, added.pk)
    send_store_credit_notification_task.delay(Event.CREDIT_RETURNED, returned.pk)

    ((_, message),) = smtp_server.messages
    assert message["Subject"] == "Credit: 3.00"
    assert "Now 5.00" in message.get_body(("html",)).get_content()
    # Apps are still told about both.
    assert [e for e, _ in notified] == [Event.CREDIT_ADDED, Event.CREDIT_RETURNED]


def test_mail_server_down_is_logged_not_raised(notified, customer_user, caplog):
    configure(**email_settings(closed_port()))
    entry = credit(customer_user)

    with caplog.at_level(logging.ERROR, logger="saleor_storecredit.notifications"):
        result = send_store_credit_notification_task.delay(Event.CREDIT_ADDED, entry.pk)

    assert result.successful()
    assert "Store-credit email failed" in caplog.text
    assert [e for e, _ in notified] == [Event.CREDIT_ADDED]


def test_an_inactive_plugin_tells_nobody(notified, customer_user, smtp_server):
    configure(active=False, **email_settings(smtp_server.port))
    entry = credit(customer_user)

    send_store_credit_notification_task.delay(Event.CREDIT_ADDED, entry.pk)

    assert notified == [] and smtp_server.messages == []


def test_expiry_reminder_payload(notified, customer_user):
    entry = credit(customer_user, "4.00", expires_at=in_days(5))

    send_store_credit_notification_task.delay(Event.EXPIRY_REMINDER, entry.lot_id)

    ((event, payload),) = notified
    assert event == Event.EXPIRY_REMINDER
    assert payload["lot"]["remaining_amount"] == "4.00"
    assert payload["lot"]["expires_at"] == entry.lot.expires_at.isoformat()
    assert payload["recipient_email"] == customer_user.email


def test_withdrawal_request_tells_staff_and_decisions_tell_the_customer(
    notified,
    customer_user,
    staff_user,
    smtp_server,
    django_capture_on_commit_callbacks,
):
    configure(
        **email_settings(smtp_server.port),
        allow_withdrawals=True,
        credit_rules=WITHDRAWABLE_STAFF_CREDIT,
        staff_notification_emails="finance@example.com, boss@example.com",
    )
    credit(customer_user, "50.00")

    with django_capture_on_commit_callbacks(execute=True):
        withdrawal = withdrawals.request_withdrawal(
            customer_user, "USD", "20.00", note="Moving abroad", idempotency_key="w1"
        )
    with django_capture_on_commit_callbacks(execute=True):
        withdrawals.process_withdrawal(
            withdrawal.pk, withdrawals.APPROVE, note="OK", actor=Actor.staff(staff_user)
        )
    with django_capture_on_commit_callbacks(execute=True):
        withdrawals.process_withdrawal(
            withdrawal.pk,
            withdrawals.MARK_PAID,
            note="Paid by bank transfer",
            actor=Actor.staff(staff_user),
        )

    events = [(event, payload) for event, payload in notified]
    assert [event for event, _ in events] == [
        Event.WITHDRAWAL_REQUESTED,
        Event.WITHDRAWAL_STATUS_CHANGED,
        Event.WITHDRAWAL_STATUS_CHANGED,
    ]
    staff_payload = events[0][1]
    assert staff_payload["recipient_list"] == [
        "finance@example.com",
        "boss@example.com",
    ]
    assert staff_payload["customer_email"] == customer_user.email
    assert staff_payload["withdrawal"]["amount"] == "20.00"
    assert staff_payload["withdrawal"]["customer_note"] == "Moving abroad"
    assert [p["withdrawal"]["status"] for _, p in events[1:]] == ["approved", "paid"]
    assert events[2][1]["recipient_email"] == customer_user.email

    staff_mail, approved_mail, paid_mail = smtp_server.messages
    assert staff_mail[0] == ["finance@example.com", "boss@example.com"]
    assert "Moving abroad" in staff_mail[1].get_body(("html",)).get_content()
    assert approved_mail[0] == paid_mail[0] == [customer_user.email]
    assert "is approved" in approved_mail[1]["Subject"]
    assert "is paid" in paid_mail[1]["Subject"]


def test_expired_credit_is_told(notified, customer_user):
    credit(customer_user, "4.00", expires_at=in_days(5))
    (expired,) = ledger.expire_due_lots(now=in_days(6))

    send_store_credit_notification_task.delay(Event.CREDIT_EXPIRED, expired.pk)

    ((event, payload),) = notified
    assert event == Event.CREDIT_EXPIRED
    assert payload["entry"]["amount"] == "4.00"
    assert payload["entry"]["kind"] == "expiry"
    assert payload["store_credit"]["balance"] == "0.00"
    assert StoreCreditEntry.objects.count() == 2
    assert ledger.get_account(customer_user, "USD").balance == Decimal(0)
