"""What kind of money a credit is, and what follows from it: only paid credit
is withdrawn, holds park lots of their own, a refund gives back the lots paid
from, a transfer keeps each lot's rules, and credit owed back cannot be
dodged by parking it. Each test is a sequence an attacker would try."""

import uuid
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saleor_storecredit import ledger
from saleor_storecredit.actors import Reference
from saleor_storecredit.error_codes import StoreCreditErrorCode as Code
from saleor_storecredit.exceptions import StoreCreditError
from saleor_storecredit.ledger import reads
from saleor_storecredit.ledger.rules import (
    DEFAULT_RULES,
    PAY,
    TRANSFER,
    WITHDRAW,
    CreditRules,
    Spend,
)
from saleor_storecredit.ledger.verification import find_problems
from saleor_storecredit.models import LotKind, LotSource, Reason

from .conftest import in_days, settle_withdrawal
from .conftest import withdraw as withdraw_any


def withdraw(owner, amount, key):
    """A withdrawal under the shop's default rules."""
    return withdraw_any(owner, amount, key, rules=DEFAULT_RULES)


@pytest.fixture
def top_up(customer):
    """Alice bought a 100 top-up by card (order X) and got a 5 bonus."""
    order_id = uuid.uuid4()
    reference = Reference(order_id=order_id)
    paid = ledger.Provenance(LotSource.TOP_UP, str(order_id), order_id, True)
    ledger.credit(
        customer,
        "100",
        "USD",
        idempotency_key="top-up",
        kind=LotKind.TOP_UP,
        reason=Reason.TOP_UP,
        reference=reference,
        provenance=paid,
    )
    ledger.credit(
        customer,
        "5",
        "USD",
        idempotency_key="bonus",
        kind=LotKind.BONUS,
        reason=Reason.BONUS,
        reference=reference,
        provenance=ledger.Provenance(LotSource.BONUS, str(order_id), order_id),
    )
    return order_id


def usable(customer):
    account = ledger.get_account(customer, "USD")
    return reads.usable_by_purpose(account, DEFAULT_RULES)


def lots_of(customer):
    account = ledger.get_account(customer, "USD")
    return {lot.kind: lot for lot in account.lots.all()}


def refused(code, call):
    with pytest.raises(StoreCreditError) as error:
        call()
    assert error.value.code == code


def test_only_paid_credit_can_be_withdrawn(customer, top_up):
    assert usable(customer) == {
        PAY: Decimal(105),
        WITHDRAW: Decimal(100),
        TRANSFER: Decimal(100),
    }
    refused(Code.INSUFFICIENT_FUNDS, lambda: withdraw(customer, "105", "w1"))

    payout = withdraw(customer, "100", "w2")
    settle_withdrawal(payout, "paid")

    lots = lots_of(customer)
    assert lots[LotKind.TOP_UP].remaining_amount == 0
    assert lots[LotKind.BONUS].remaining_amount == Decimal(5)
    assert usable(customer)[WITHDRAW] == 0


def test_staff_goodwill_gift_cards_and_rewards_are_not_cash(customer):
    for kind in (
        LotKind.STORE_CREDIT,
        LotKind.ADJUSTMENT,
        LotKind.GIFT_CARD,
        LotKind.CASHBACK,
        LotKind.APP,
        LotKind.BONUS,
    ):
        ledger.credit(customer, "10", "USD", idempotency_key=kind, kind=kind)
    assert usable(customer)[PAY] == Decimal(60)
    assert usable(customer)[WITHDRAW] == 0
    refused(Code.INSUFFICIENT_FUNDS, lambda: withdraw(customer, "1", "w"))


def test_payments_spend_promotional_credit_first(customer, top_up):
    ledger.debit(customer, "20", "USD", idempotency_key="pay")

    lots = lots_of(customer)
    assert lots[LotKind.BONUS].remaining_amount == 0
    assert lots[LotKind.TOP_UP].remaining_amount == Decimal(85)
    assert usable(customer)[WITHDRAW] == Decimal(85)


def test_a_refunded_payment_gives_back_the_bonus_it_took(customer, top_up):
    order = Reference(order_id=uuid.uuid4())
    ledger.debit(customer, "20", "USD", idempotency_key="pay", reference=order)

    ledger.refund(customer, "20", "USD", idempotency_key="refund", reference=order)

    lots = lots_of(customer)
    assert lots[LotKind.BONUS].remaining_amount == Decimal(5)
    assert lots[LotKind.TOP_UP].remaining_amount == Decimal(100)
    # The refund did not make the bonus withdrawable.
    assert usable(customer)[WITHDRAW] == Decimal(100)


def test_a_withdrawal_hold_parks_withdrawable_lots_of_its_own(customer, top_up):
    parked = withdraw(customer, "100", "w")
    # The bonus is what is left to pay with; spending it cannot starve the payout.
    ledger.debit(customer, "5", "USD", idempotency_key="pay")
    refused(
        Code.INSUFFICIENT_FUNDS,
        lambda: ledger.debit(customer, "1", "USD", idempotency_key="pay-2"),
    )

    settle_withdrawal(parked, "paid")
    assert ledger.get_account(customer, "USD").balance == 0


def test_a_clawback_takes_the_orders_own_lots_first(customer, top_up):
    ledger.credit(customer, "50", "USD", idempotency_key="goodwill")

    entry = ledger.claw_back(
        customer, "105", "USD", idempotency_key="back", order_id=top_up
    )

    assert entry.amount == Decimal(-105)
    assert entry.owed_change == 0
    lots = lots_of(customer)
    assert lots[LotKind.STORE_CREDIT].remaining_amount == Decimal(50)


def test_parking_the_credit_in_a_withdrawal_does_not_dodge_the_clawback(
    customer, other_customer, top_up
):
    parked = withdraw(customer, "100", "w")

    entry = ledger.claw_back(
        customer, "105", "USD", idempotency_key="back", order_id=top_up
    )

    # Only the bonus was free: 100 is owed, and it blocks every way out.
    assert (entry.amount, entry.owed_change) == (Decimal(-5), Decimal(100))
    account = ledger.get_account(customer, "USD")
    assert account.owed == Decimal(100)
    assert usable(customer)[WITHDRAW] == 0
    refused(Code.CREDIT_OWED, lambda: _send(customer, other_customer, "1"))

    # The withdrawal is rejected (or cancelled): what it frees settles the debt.
    settle_withdrawal(parked, "rejected")
    account.refresh_from_db()
    assert (account.balance, account.held, account.owed) == (0, 0, 0)
    assert reads.owed_by_order(top_up) == 0


def test_owed_credit_is_settled_from_the_next_credit(customer, top_up):
    ledger.debit(customer, "105", "USD", idempotency_key="spent-it-all")
    ledger.claw_back(customer, "105", "USD", idempotency_key="back", order_id=top_up)
    assert ledger.get_account(customer, "USD").owed == Decimal(105)

    ledger.credit(customer, "60", "USD", idempotency_key="birthday")

    account = ledger.get_account(customer, "USD")
    assert (account.balance, account.owed) == (0, Decimal(45))
    assert reads.owed_by_order(top_up) == Decimal(45)
    ledger.credit(customer, "50", "USD", idempotency_key="more")
    account.refresh_from_db()
    assert (account.balance, account.owed) == (Decimal(5), 0)


def test_a_released_checkout_hold_settles_the_debt(customer, top_up):
    hold = ledger.authorize(customer, "105", "USD", idempotency_key="checkout")
    ledger.claw_back(customer, "105", "USD", idempotency_key="back", order_id=top_up)

    ledger.release(hold, idempotency_key="release")

    account = ledger.get_account(customer, "USD")
    assert (account.balance, account.held, account.owed) == (0, 0, 0)


def test_a_clawback_is_not_a_payment_to_refund(customer, top_up):
    ledger.claw_back(customer, "105", "USD", idempotency_key="back", order_id=top_up)
    account = ledger.get_account(customer, "USD")

    assert ledger.refundable_amount(account, Reference(order_id=top_up)) == 0
    refused(
        Code.REFUND_EXCEEDS_CAPTURED,
        lambda: ledger.refund(
            customer,
            "105",
            "USD",
            idempotency_key="again",
            reference=Reference(order_id=top_up),
        ),
    )


def _send(sender, recipient, amount):
    return ledger.transfer(
        sender, recipient, amount, "USD", idempotency_key=f"send-{amount}"
    )


def test_a_sent_bonus_stays_a_bonus(customer, other_customer):
    ledger.credit(customer, "10", "USD", idempotency_key="b", kind=LotKind.BONUS)
    rules = CreditRules(
        uses={**DEFAULT_RULES.uses, LotKind.BONUS: frozenset({PAY, TRANSFER})}
    )

    ledger.transfer(
        customer, other_customer, "10", "USD", idempotency_key="t", rules=rules
    )

    received = lots_of(other_customer)[LotKind.BONUS]
    assert received.source == LotSource.TRANSFER
    assert received.cash_backed is False
    assert usable(other_customer)[WITHDRAW] == 0


def test_only_kinds_that_may_be_sent_are_sent(customer, other_customer, top_up):
    refused(
        Code.INSUFFICIENT_FUNDS,
        lambda: ledger.transfer(
            customer, other_customer, "101", "USD", idempotency_key="t"
        ),
    )
    result = ledger.transfer(
        customer, other_customer, "100", "USD", idempotency_key="t2"
    )
    received = lots_of(other_customer)[LotKind.TOP_UP]
    assert received.cash_backed is True
    assert received.origin_lot.kind == LotKind.TOP_UP
    assert result.credit.amount == Decimal(100)
    assert lots_of(customer)[LotKind.BONUS].remaining_amount == Decimal(5)


def test_a_kind_that_may_not_pay_is_left_alone_by_payments(customer, top_up):
    rules = CreditRules(uses={**DEFAULT_RULES.uses, LotKind.TOP_UP: {WITHDRAW}})
    refused(
        Code.INSUFFICIENT_FUNDS,
        lambda: ledger.debit(customer, "6", "USD", idempotency_key="p", rules=rules),
    )
    ledger.debit(customer, "5", "USD", idempotency_key="p2", rules=rules)
    hold_rules = Spend.for_use(rules, PAY)
    refused(
        Code.INSUFFICIENT_FUNDS,
        lambda: ledger.authorize(
            customer, "1", "USD", idempotency_key="a", spend_from=hold_rules
        ),
    )


def test_expiring_credit_sent_keeps_its_expiry(customer, other_customer):
    soon = in_days(1)
    ledger.credit(
        customer, "10", "USD", idempotency_key="e", kind=LotKind.TOP_UP, expires_at=soon
    )
    ledger.credit(customer, "10", "USD", idempotency_key="n", kind=LotKind.TOP_UP)
    ledger.transfer(customer, other_customer, "20", "USD", idempotency_key="t")

    ledger.expire_due_lots(now=in_days(2))

    assert ledger.get_account(other_customer, "USD").balance == Decimal(10)


# --- an attacker's random sequences ---------------------------------------------

STEPS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "top_up",
                "goodwill",
                "park_withdrawal",
                "cancel_withdrawal",
                "pay_out",
                "park_checkout",
                "release_checkout",
                "capture_checkout",
                "pay",
                "refund",
                "card_refunded",
            ]
        ),
        st.integers(1, 60),
    ),
    min_size=5,
    max_size=25,
)


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(STEPS)
def test_no_order_of_buying_parking_refunding_and_spending_makes_cash(steps):
    """Withdrawn plus withdrawable never exceeds the cash that still stands
    behind top-ups; balance never exceeds what the shop issued; verify holds."""
    with transaction.atomic():
        customer = get_user_model().objects.create_user(
            username="attacker", email="attacker@example.com"
        )
        cash_in = issued = Decimal(0)
        top_ups: list[tuple[uuid.UUID, Decimal, Decimal]] = []
        withdrawals, checkouts, payments = [], [], []
        withdrawn = Decimal(0)
        for n, (step, amount) in enumerate(steps):
            amount = Decimal(amount)
            key = f"{step}-{n}"
            try:
                if step == "top_up":
                    order_id = uuid.uuid4()
                    bonus = (amount / 10).quantize(Decimal("0.01"))
                    for kind, value, source in (
                        (LotKind.TOP_UP, amount, LotSource.TOP_UP),
                        (LotKind.BONUS, bonus, LotSource.BONUS),
                    ):
                        ledger.credit(
                            customer,
                            value,
                            "USD",
                            idempotency_key=f"{key}-{kind}",
                            kind=kind,
                            reference=Reference(order_id=order_id),
                            provenance=ledger.Provenance(
                                source, "", order_id, kind == LotKind.TOP_UP
                            ),
                        )
                    top_ups.append((order_id, amount, bonus))
                    cash_in += amount
                    issued += amount + bonus
                elif step == "goodwill":
                    ledger.credit(customer, amount, "USD", idempotency_key=key)
                    issued += amount
                elif step == "park_withdrawal":
                    withdrawals.append(withdraw(customer, amount, key))
                elif step == "cancel_withdrawal" and withdrawals:
                    settle_withdrawal(withdrawals.pop(0), "canceled")
                elif step == "pay_out" and withdrawals:
                    account = ledger.get_account(customer, "USD")
                    if account.owed == 0:
                        paid = settle_withdrawal(withdrawals.pop(0), "paid")
                        withdrawn += paid.amount
                elif step == "park_checkout":
                    checkouts.append(
                        ledger.authorize(customer, amount, "USD", idempotency_key=key)
                    )
                elif step == "release_checkout" and checkouts:
                    ledger.release(checkouts.pop(0), idempotency_key=key)
                elif step == "capture_checkout" and checkouts:
                    hold = checkouts.pop(0)
                    ledger.capture(
                        hold,
                        idempotency_key=key,
                        reference=Reference(order_id=uuid.uuid4()),
                    )
                elif step == "pay":
                    order = Reference(order_id=uuid.uuid4())
                    ledger.debit(
                        customer, amount, "USD", idempotency_key=key, reference=order
                    )
                    payments.append(order)
                elif step == "refund" and payments:
                    order = payments.pop(0)
                    account = ledger.get_account(customer, "USD")
                    left = ledger.refundable_amount(account, order)
                    ledger.refund(
                        customer, left, "USD", idempotency_key=key, reference=order
                    )
                elif step == "card_refunded" and top_ups:
                    order_id, paid, bonus = top_ups.pop(0)
                    entry = ledger.claw_back(
                        customer,
                        paid + bonus,
                        "USD",
                        idempotency_key=key,
                        order_id=order_id,
                    )
                    cash_in -= paid
                    if entry.owed_change > 0:
                        # What the gateway does (orders.end_holds_for_debt).
                        while withdrawals:
                            settle_withdrawal(withdrawals.pop(0), "rejected")
                        while checkouts:
                            ledger.release(checkouts.pop(), idempotency_key=f"{key}-r")
            except StoreCreditError:
                pass
            account = ledger.get_account(customer, "USD")
            if account is None:
                continue
            now = reads.usable_by_purpose(account, DEFAULT_RULES)
            for w in withdrawals:
                w.hold.refresh_from_db()
            parked = sum((w.hold.remaining for w in withdrawals), Decimal(0))
            # Never more cash to take out than cash standing behind top-ups,
            # never more credit than the shop issued.
            assert now[WITHDRAW] + parked <= cash_in
            assert account.balance + withdrawn <= issued
        assert find_problems() == []
        transaction.set_rollback(True)


@pytest.mark.parametrize("kind", [LotKind.TOP_UP, LotKind.REFUND, LotKind.RETURN])
def test_staff_cannot_hand_out_credit_that_counts_as_money(customer, staff, kind):
    from saleor_storecredit import approvals, bulk_jobs
    from saleor_storecredit.actors import Actor
    from saleor_storecredit.config import StoreCreditSettings

    refused(
        Code.NOT_ALLOWED_FOR_KIND,
        lambda: approvals.adjust(
            customer,
            "10",
            "USD",
            idempotency_key="cash?",
            kind=kind,
            actor=Actor.staff(staff),
            settings=StoreCreditSettings(),
        ),
    )
    # A "refund" or "top-up" reason given by hand is an adjustment.
    assert bulk_jobs.lot_kind_for(Reason.TOP_UP) == LotKind.ADJUSTMENT
    assert bulk_jobs.lot_kind_for(Reason.ORDER_RETURN) == LotKind.ADJUSTMENT
