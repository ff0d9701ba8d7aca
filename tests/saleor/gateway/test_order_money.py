"""Credit bought with an order's money follows that money: top-ups, their
bonus, gift-card money, refunds to credit, refunds by line. Each test is a
sequence a customer trying to keep credit they did not pay for would try."""

from decimal import Decimal

import pytest
from saleor.order import OrderChargeStatus, OrderGrantedRefundStatus, OrderStatus
from saleor.order.models import OrderGrantedRefund
from saleor.payment.models import TransactionItem

from saleor_storecredit import ledger, saleor_compat
from saleor_storecredit.actors import Reference
from saleor_storecredit.config import get_settings
from saleor_storecredit.gateway.orders import handle_order
from saleor_storecredit.ledger import reads
from saleor_storecredit.ledger.rules import WITHDRAW
from saleor_storecredit.models import (
    LotKind,
    LotSource,
    StoreCreditLot,
    StoreCreditWithdrawal,
    WithdrawalStatus,
)
from saleor_storecredit.withdrawals import request_withdrawal

from .conftest import configure


@pytest.fixture
def shop_order(order_with_lines, customer_user, plugin_enabled):
    """Two lines (the first is the top-up) and shipping, paid in full by an
    app's card transaction."""
    order = order_with_lines
    order.user = customer_user
    order.save(update_fields=["user"])
    top_up, other = order.lines.order_by("pk")
    configure(top_up_skus=top_up.product_sku, top_up_bonus_tiers="1:10")
    pay(order, order.total_gross_amount)
    return order


def pay(order, amount, identifier="mirumee.payments.card"):
    item = TransactionItem.objects.filter(order_id=order.pk).first()
    if item is None:
        item = TransactionItem.objects.create(
            order_id=order.pk,
            currency=order.currency,
            app_identifier=identifier,
            psp_reference="psp",
        )
    item.charged_value = amount
    item.save(update_fields=["charged_value"])
    total = order.total_gross_amount
    order.total_charged_amount = amount
    order.charge_status = (
        OrderChargeStatus.FULL if amount >= total else OrderChargeStatus.PARTIAL
    )
    order.save(update_fields=["total_charged_amount", "charge_status"])
    handle_order(order.pk, get_settings())


def lines(order):
    return list(order.lines.order_by("pk"))


def account_of(order):
    return ledger.get_account(order.user, order.currency)


def credit_of(order):
    account = account_of(order)
    return (account.balance, account.owed) if account else (Decimal(0), Decimal(0))


def test_a_card_top_up_credits_cash_and_a_bonus(shop_order):
    top_up = lines(shop_order)[0].total_price_gross_amount
    bonus = (top_up / 10).quantize(Decimal("0.01"))

    assert credit_of(shop_order) == (top_up + bonus, 0)
    lots = {lot.kind: lot for lot in StoreCreditLot.objects.all()}
    assert lots[LotKind.TOP_UP].source == LotSource.TOP_UP
    assert lots[LotKind.TOP_UP].cash_backed is True
    assert lots[LotKind.TOP_UP].order_id == shop_order.pk
    assert lots[LotKind.BONUS].cash_backed is False
    usable = reads.usable_by_purpose(account_of(shop_order), get_settings().rules)
    assert usable[WITHDRAW] == top_up


def test_refund_to_credit_of_a_top_up_order_does_not_pay_twice(shop_order):
    """40 paid for a 30 top-up: cancelled with refund to credit, 40 in all."""
    configure(
        top_up_skus=lines(shop_order)[0].product_sku,
        top_up_bonus_tiers="1:10",
        return_statuses="expired",
        refund_to_credit_statuses="canceled",
    )
    shop_order.status = OrderStatus.CANCELED
    shop_order.save(update_fields=["status"])

    handle_order(shop_order.pk, get_settings())
    handle_order(shop_order.pk, get_settings())

    assert credit_of(shop_order) == (shop_order.total_gross_amount, 0)
    assert not StoreCreditLot.objects.filter(
        kind=LotKind.BONUS, remaining_amount__gt=0
    ).exists()


def test_refunding_only_the_top_up_line_takes_the_top_up_back(shop_order):
    top_up, other = lines(shop_order)
    granted = OrderGrantedRefund.objects.create(
        order=shop_order,
        amount_value=top_up.total_price_gross_amount,
        currency=shop_order.currency,
        status=OrderGrantedRefundStatus.SUCCESS,
    )
    granted.lines.create(order_line=top_up, quantity=top_up.quantity)

    pay(shop_order, shop_order.total_gross_amount - top_up.total_price_gross_amount)

    assert credit_of(shop_order) == (0, 0)


def test_refunding_only_the_other_line_keeps_the_top_up(shop_order):
    top_up, other = lines(shop_order)
    before = credit_of(shop_order)
    granted = OrderGrantedRefund.objects.create(
        order=shop_order,
        amount_value=other.total_price_gross_amount,
        currency=shop_order.currency,
        status=OrderGrantedRefundStatus.SUCCESS,
    )
    granted.lines.create(order_line=other, quantity=other.quantity)

    pay(shop_order, shop_order.total_gross_amount - other.total_price_gross_amount)

    assert credit_of(shop_order) == before


def test_a_refund_by_amount_alone_comes_out_of_the_top_up_first(shop_order):
    top_up = lines(shop_order)[0].total_price_gross_amount

    pay(shop_order, shop_order.total_gross_amount - Decimal(5))

    kept = top_up - 5
    bonus = (kept / 10).quantize(Decimal("0.01"))
    assert credit_of(shop_order) == (kept + bonus, 0)


def test_parked_top_up_credit_is_owed_and_its_withdrawal_rejected(shop_order):
    configure(
        top_up_skus=lines(shop_order)[0].product_sku,
        top_up_bonus_tiers="1:10",
        allow_withdrawals=True,
    )
    top_up = lines(shop_order)[0].total_price_gross_amount
    withdrawal = request_withdrawal(
        shop_order.user, "USD", top_up, note="", idempotency_key="cash-out"
    )

    pay(shop_order, Decimal(0))  # the card payment is charged back

    withdrawal.refresh_from_db()
    assert withdrawal.status == WithdrawalStatus.REJECTED
    assert credit_of(shop_order) == (0, 0)
    assert reads.owed_by_order(shop_order.pk) == 0
    assert StoreCreditWithdrawal.objects.count() == 1


def test_owed_credit_blocks_withdrawals_until_settled(shop_order):
    configure(
        top_up_skus=lines(shop_order)[0].product_sku,
        top_up_bonus_tiers="1:10",
        allow_withdrawals=True,
    )
    balance, _ = credit_of(shop_order)
    ledger.debit(shop_order.user, balance, "USD", idempotency_key="spent")

    pay(shop_order, Decimal(0))

    assert credit_of(shop_order) == (0, balance)
    ledger.credit(shop_order.user, balance + 1, "USD", idempotency_key="later")
    assert credit_of(shop_order) == (1, 0)


def test_a_taken_back_top_up_is_no_credit_payment_to_refund(shop_order):
    pay(shop_order, Decimal(0))
    account = account_of(shop_order)

    assert ledger.refundable_amount(account, Reference(order_id=shop_order.pk)) == 0


def test_a_top_up_paid_again_after_its_refund_is_credited_again(shop_order):
    first = credit_of(shop_order)
    pay(shop_order, Decimal(0))
    assert credit_of(shop_order) == (0, 0)

    pay(shop_order, shop_order.total_gross_amount)

    assert credit_of(shop_order) == first


def test_a_top_up_paid_with_a_saleor_gift_card_is_gift_card_credit(
    order_with_lines, customer_user, plugin_enabled
):
    order = order_with_lines
    order.user = customer_user
    order.save(update_fields=["user"])
    top_up = lines(order)[0]
    configure(top_up_skus=top_up.product_sku, top_up_bonus_tiers="1:10")

    pay(order, order.total_gross_amount, saleor_compat.GIFT_CARD_GATEWAY_ID)

    lots = list(StoreCreditLot.objects.all())
    assert [(lot.kind, lot.cash_backed) for lot in lots] == [(LotKind.GIFT_CARD, False)]
    assert lots[0].remaining_amount == top_up.total_price_gross_amount
    usable = reads.usable_by_purpose(account_of(order), get_settings().rules)
    assert usable[WITHDRAW] == 0
