from decimal import Decimal

from saleor_storecredit import ledger


def test_credit_debit(customer):
    e = ledger.credit(customer, "10.00", "USD", idempotency_key="c1")
    assert e.balance_after == Decimal("10.00")
    h = ledger.authorize(customer, "4", "USD", idempotency_key="a1")
    ledger.capture(h, "1.5", idempotency_key="cap1")
    ledger.release(h, idempotency_key="rel1")
    d = ledger.debit(customer, "2", "USD", idempotency_key="d1")
    assert d.balance_after == Decimal("6.50")
    from saleor_storecredit.verification import find_problems

    assert find_problems() == []
