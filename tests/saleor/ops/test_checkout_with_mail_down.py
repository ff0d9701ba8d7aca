"""A mail server outage never fails a checkout or an order change."""

import logging
from decimal import Decimal

import pytest
from django.core.cache import cache
from saleor.order.models import Order

from saleor_storecredit import ledger
from saleor_storecredit.ledger.verification import find_problems
from saleor_storecredit.models import LotKind, StoreCreditLot
from saleor_storecredit.notifications_config import StoreCreditNotifyEvent as Event

from ..gateway.utils import (
    balance,
    checkout_total,
    complete,
    pay_rest_by_app,
)
from ..plugin_config import WITHDRAWABLE_STAFF_CREDIT
from .conftest import closed_port, configure, email_settings

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_markers():
    cache.clear()
    yield
    assert find_problems() == []


def test_top_up_checkout_completes_while_the_mail_server_is_down(
    notified,
    user_api_client,
    app_api_client,
    permission_manage_payments,
    customer_user,
    customer_checkout,
    caplog,
):
    sku = customer_checkout.lines.get().variant.sku
    configure(**email_settings(closed_port()), top_up_skus=sku)
    total = checkout_total(customer_checkout)
    # Credit never buys credit: the top-up is paid by another gateway.
    pay_rest_by_app(
        app_api_client, permission_manage_payments, customer_checkout, total
    )

    with caplog.at_level(logging.ERROR, logger="saleor_storecredit.notifications"):
        result = complete(user_api_client, customer_checkout)

    assert result["errors"] == []
    order = Order.objects.get()
    line = order.lines.get()
    bought = line.unit_price_gross_amount * line.quantity
    # The top-up bought was credited.
    assert balance(customer_user) == (bought, Decimal(0))
    assert StoreCreditLot.objects.filter(kind=LotKind.TOP_UP).count() == 1
    # The customer is told about the top-up; the failed email only logs.
    assert [event for event, _ in notified] == [Event.CREDIT_ADDED]
    assert "Store-credit email failed" in caplog.text


WITHDRAWAL_REQUEST = """
mutation ($amount: Decimal!) {
  storeCreditWithdrawalRequest(currency: "USD", amount: $amount, note: "IBAN X") {
    withdrawal { status amount { amount } }
    errors { code message }
  }
}
"""


def test_withdrawal_request_succeeds_while_the_mail_server_is_down(
    notified, user_api_client, customer_user, caplog
):
    configure(
        **email_settings(closed_port()),
        allow_withdrawals=True,
        credit_rules=WITHDRAWABLE_STAFF_CREDIT,
        staff_notification_emails="finance@example.com",
    )
    ledger.credit(customer_user, "30.00", "USD", idempotency_key="c")

    with caplog.at_level(logging.ERROR, logger="saleor_storecredit.notifications"):
        response = user_api_client.post_graphql(WITHDRAWAL_REQUEST, {"amount": "12"})

    data = response.json()["data"]["storeCreditWithdrawalRequest"]
    assert data["errors"] == []
    assert data["withdrawal"]["status"] == "PENDING"
    assert balance(customer_user) == (Decimal("30.00"), Decimal("12.00"))
    # Staff apps were told; the email failed and was only logged.
    assert [event for event, _ in notified] == [Event.WITHDRAWAL_REQUESTED]
    assert "Store-credit email failed" in caplog.text
