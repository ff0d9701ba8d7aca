"""Refunds through every road share one bound: what credit paid, never more.

A capture carries the checkout, the Saleor transaction item and the order; a
Payment API debit the payment and the checkout. Each road below names the
payment differently; together they never give back more than was taken.
"""

from decimal import Decimal

import pytest
from saleor.order.models import Order
from saleor.payment import TransactionAction, TransactionEventType
from saleor.payment.gateway import refund as payment_refund
from saleor.payment.models import Payment, TransactionItem
from saleor.payment.utils import create_payment_information
from saleor.plugins.manager import get_plugins_manager

from saleor_storecredit import ledger
from saleor_storecredit.actors import Reference
from saleor_storecredit.config import PLUGIN_ID, get_settings
from saleor_storecredit.error_codes import StoreCreditErrorCode
from saleor_storecredit.exceptions import StoreCreditError
from saleor_storecredit.gateway import payments, transactions
from saleor_storecredit.gateway.orders import handle_order
from saleor_storecredit.ledger import reads
from saleor_storecredit.models import EntryKind, StoreCreditEntry

from .conftest import configure
from .utils import (
    balance,
    checkout_total,
    pay_with_credit,
    place_order_paid_partly,
    request_action,
)

pytestmark = pytest.mark.django_db(transaction=True)


def refunded_total() -> Decimal:
    return sum(
        StoreCreditEntry.objects.filter(kind=EntryKind.REFUND).values_list(
            "amount", flat=True
        ),
        Decimal(0),
    )


def refuse_ledger_refunds(user, amount, **identifiers):
    """A refund naming each identifier of the payment alone is refused."""
    account = ledger.get_account(user, "USD")
    for name, value in identifiers.items():
        with pytest.raises(StoreCreditError) as error:
            ledger.refund(
                account,
                amount,
                "USD",
                idempotency_key=f"attack-{name}",
                reference=Reference(**{name: value}),
            )
        assert error.value.code == StoreCreditErrorCode.REFUND_EXCEEDS_CAPTURED


def test_transaction_item_refunds_through_every_road_share_one_bound(
    user_api_client,
    staff_api_client,
    app_api_client,
    permission_manage_payments,
    permission_manage_orders,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
):
    give_credit(customer_user, "10.00")
    order = place_order_paid_partly(
        user_api_client, app_api_client, permission_manage_payments,
        customer_checkout, credit=Decimal("10"),
    )  # fmt: skip
    item = TransactionItem.objects.get(app_identifier=PLUGIN_ID)

    # 1. Staff refund part through Saleor (transactionRequestAction).
    result = request_action(
        staff_api_client, item, "REFUND", "6.00", [permission_manage_payments]
    )
    assert result["errors"] == []
    # 2. The rest comes back when the order is cancelled (return statuses).
    Order.objects.filter(pk=order.pk).update(status="canceled")
    handle_order(order.pk, get_settings())
    assert balance(customer_user) == (Decimal("10.00"), Decimal(0))

    # 3. Saleor asked again for the item (a replayed webhook, a second pod).
    item.refresh_from_db()
    request = transactions.new_request_event(
        item, Decimal("10.00"), TransactionAction.REFUND
    )
    transactions.refund(item, request, Decimal("10.00"))
    assert item.events.filter(
        type=TransactionEventType.REFUND_FAILURE, related_granted_refund=None
    ).exists()
    # 4. Refund-to-credit statuses: only what other methods paid, once.
    configure(return_statuses="expired", refund_to_credit_statuses="canceled")
    handle_order(order.pk, get_settings())
    # 5. The ledger asked by checkout, order or transaction alone.
    refuse_ledger_refunds(
        customer_user,
        Decimal("0.01"),
        order_id=order.pk,
        checkout_id=customer_checkout.pk,
        transaction_id=item.token,
    )

    assert refunded_total() == Decimal("10.00")
    assert reads.refundable(Reference(order_id=order.pk)) == 0
    card_part = order.total_gross_amount - Decimal("10.00")
    assert balance(customer_user) == (Decimal("10.00") + card_part, Decimal(0))


def test_payment_api_refunds_through_every_road_share_one_bound(
    user_api_client, customer_user, customer_checkout, plugin_enabled, give_credit
):
    total = checkout_total(customer_checkout)
    give_credit(customer_user, total)
    assert pay_with_credit(user_api_client, customer_checkout)["errors"] == []
    order = Order.objects.get()
    payment = Payment.objects.get()
    manager = get_plugins_manager(allow_replica=False)

    # 1. Saleor's refund of the payment (orderRefund, returns with refund).
    payment_refund(payment, manager, order.channel.slug, amount=Decimal("4.00"))
    # 2. The plugin asked directly for the whole amount again.
    payment.refresh_from_db()
    answer = payments.refund_payment(create_payment_information(payment, amount=total))
    assert not answer.is_success
    assert answer.raw_response == {"error_code": "refund_exceeds_captured"}
    # 3. Cancel: the rest is refunded through Saleor, once.
    configure(return_statuses="expired", refund_to_credit_statuses="canceled")
    Order.objects.filter(pk=order.pk).update(status="canceled")
    handle_order(order.pk, get_settings())
    handle_order(order.pk, get_settings())
    # 4. The ledger asked by order, checkout or payment alone.
    refuse_ledger_refunds(
        customer_user,
        Decimal("0.01"),
        order_id=order.pk,
        checkout_id=customer_checkout.pk,
        payment_id=payment.pk,
    )

    assert refunded_total() == total
    assert balance(customer_user) == (total, Decimal(0))


def test_refund_of_a_credit_item_shows_one_clean_refund(
    user_api_client,
    staff_api_client,
    app_api_client,
    permission_manage_payments,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
):
    """Saleor's webhook plugin records "Transaction request skipped. Missing
    relation to PaymentApp." for items no app owns; staff must see one refund."""
    give_credit(customer_user, "10.00")
    place_order_paid_partly(
        user_api_client, app_api_client, permission_manage_payments,
        customer_checkout, credit=Decimal("10"),
    )  # fmt: skip
    item = TransactionItem.objects.get(app_identifier=PLUGIN_ID)

    result = request_action(
        staff_api_client, item, "REFUND", "10.00", [permission_manage_payments]
    )

    assert result["errors"] == []
    types = list(item.events.values_list("type", flat=True))
    assert types.count(TransactionEventType.REFUND_SUCCESS) == 1
    assert TransactionEventType.REFUND_FAILURE not in types
    assert not item.events.filter(message__icontains="skipped").exists()
    assert balance(customer_user) == (Decimal("10.00"), Decimal(0))


def test_cancel_of_held_credit_shows_one_clean_cancel(
    user_api_client,
    staff_api_client,
    app_api_client,
    permission_manage_payments,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
):
    from .utils import apply_credit

    give_credit(customer_user, "10.00")
    apply_credit(user_api_client, customer_checkout)
    item = TransactionItem.objects.get(app_identifier=PLUGIN_ID)

    result = request_action(
        staff_api_client, item, "CANCEL", None, [permission_manage_payments]
    )

    assert result["errors"] == []
    types = list(item.events.values_list("type", flat=True))
    assert types.count(TransactionEventType.CANCEL_SUCCESS) == 1
    assert TransactionEventType.CANCEL_FAILURE not in types
    assert balance(customer_user) == (Decimal("10.00"), Decimal(0))
