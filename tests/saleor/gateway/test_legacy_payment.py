"""Paying the whole checkout with store credit through the legacy Payment API."""

from decimal import Decimal

import pytest
from saleor.payment.models import Payment

from saleor_storecredit.models import EntryKind, StoreCreditEntry

from .utils import balance, checkout_total, pay_with_credit

pytestmark = pytest.mark.django_db


def test_full_payment_debits_once_and_creates_a_paid_order(
    user_api_client,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
    ledger_consistent,
):
    total = checkout_total(customer_checkout)
    give_credit(customer_user, total + Decimal("5.00"))

    result = pay_with_credit(user_api_client, customer_checkout)

    assert result["errors"] == []
    order = result["order"]
    assert order["chargeStatus"] == "FULL"
    assert order["paymentStatus"] == "FULLY_CHARGED"
    assert balance(customer_user) == (Decimal("5.00"), Decimal(0))
    payment = Payment.objects.get()
    debits = StoreCreditEntry.objects.filter(kind=EntryKind.DEBIT)
    assert [(e.amount, e.payment_id) for e in debits] == [(-total, payment.pk)]


def test_payment_fails_without_enough_credit_and_moves_nothing(
    user_api_client,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
    ledger_consistent,
):
    give_credit(customer_user, Decimal("1.00"))

    result = pay_with_credit(user_api_client, customer_checkout)

    assert result["order"] is None
    assert result["errors"][0]["code"] == "PAYMENT_ERROR"
    assert "does not cover" in result["errors"][0]["message"]
    assert balance(customer_user) == (Decimal("1.00"), Decimal(0))


def test_authorize_only_when_channel_does_not_confirm_orders(
    user_api_client,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
    ledger_consistent,
):
    channel = customer_checkout.channel
    channel.automatically_confirm_all_new_orders = False
    channel.save(update_fields=["automatically_confirm_all_new_orders"])
    total = checkout_total(customer_checkout)
    give_credit(customer_user, total)

    result = pay_with_credit(user_api_client, customer_checkout)

    assert result["errors"] == []
    assert result["order"]["status"] == "UNCONFIRMED"
    assert balance(customer_user) == (total, total)
