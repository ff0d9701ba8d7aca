"""Idempotency keys: each caller kind has its own namespace, the plugin's own
keys cannot be claimed by anyone, a conflict is never a success, and a failing
account never stops a batch."""

import uuid
from decimal import Decimal

import pytest

from saleor_storecredit import ledger
from saleor_storecredit.actors import Actor
from saleor_storecredit.error_codes import StoreCreditErrorCode
from saleor_storecredit.exceptions import StoreCreditError
from saleor_storecredit.ledger import expiry, keys
from saleor_storecredit.models import EntryKind, LotKind, StoreCreditEntry

from .conftest import balance_of, in_days, ledger_rows


def refused(code, call):
    before = ledger_rows()
    with pytest.raises(StoreCreditError) as error:
        call()
    assert error.value.code == code, error.value
    assert ledger_rows() == before


def test_a_customer_cannot_claim_the_key_of_a_future_expiry(
    customer, other_customer, fund, monkeypatch
):
    lot_entry = fund(customer, "10", expires_at=in_days(1))
    fund(other_customer, "10", expires_at=in_days(1))
    account = lot_entry.account
    # The key the next expiry entry of this account will carry.
    future = str(keys.expiry(lot_entry.lot_id, account.entry_count + 2))
    ledger.debit(
        customer, "1", "USD", idempotency_key=future, actor=Actor.customer(customer)
    )

    expired = ledger.expire_due_lots(now=in_days(2))

    assert sorted(entry.account.user_id for entry in expired) == sorted(
        [customer.pk, other_customer.pk]
    )
    assert balance_of(account) == (Decimal(0), Decimal(0))


def test_a_staff_key_equal_to_a_top_up_key_does_not_stop_the_top_up(customer, staff):
    order_id = uuid.uuid4()
    system_key = keys.order(order_id, "top-up")
    ledger.credit(
        customer,
        "1",
        "USD",
        idempotency_key=str(system_key),
        actor=Actor.staff(staff),
    )

    top_up = ledger.credit(
        customer, "30", "USD", idempotency_key=system_key, kind=LotKind.TOP_UP
    )

    assert top_up.amount == Decimal(30)
    assert top_up.idempotency_key == str(system_key)
    assert balance_of(top_up.account) == (Decimal(31), Decimal(0))


@pytest.mark.parametrize("prefix", ["customer:", "staff:", "app:", "api:"])
def test_no_system_key_starts_with_a_caller_namespace(prefix):
    for key in (
        keys.expiry(1, 2),
        keys.order(uuid.uuid4(), "top-up"),
        keys.payment(1, "process"),
        keys.transaction_item(uuid.uuid4(), "refund", 3),
        keys.checkout(uuid.uuid4(), 1),
        keys.gift_card(5),
        keys.withdrawal(5, "approve"),
        keys.import_row("abc", 1),
        keys.transfer_received(1, "customer:1:x"),
        keys.repair_hold(3),
    ):
        assert not key.startswith(prefix)


def test_the_same_key_from_different_caller_kinds_writes_twice(customer, staff):
    by_staff = ledger.credit(
        customer, "5", "USD", idempotency_key="k", actor=Actor.staff(staff)
    )
    by_app = ledger.credit(
        customer, "5", "USD", idempotency_key="k", actor=Actor(type="app", app_id=7)
    )
    by_code = ledger.credit(customer, "5", "USD", idempotency_key="k")

    assert len({by_staff.pk, by_app.pk, by_code.pk}) == 3
    assert balance_of(by_code.account) == (Decimal(15), Decimal(0))


def test_a_reused_key_with_another_request_is_refused_not_replayed(customer, fund):
    fund(customer, "10", idempotency_key="same")
    refused(
        StoreCreditErrorCode.IDEMPOTENCY_KEY_REUSED,
        lambda: ledger.credit(customer, "11", "USD", idempotency_key="same"),
    )
    refused(
        StoreCreditErrorCode.IDEMPOTENCY_KEY_REUSED,
        lambda: ledger.debit(customer, "10", "USD", idempotency_key="same"),
    )


@pytest.mark.parametrize(
    "key",
    ["", "   ", "a" * 201, "nul\x00key", "lone \ud800 surrogate", 12, None, b"bytes"],
)
def test_bad_keys_are_refused(customer, key):
    refused(
        StoreCreditErrorCode.INVALID_IDEMPOTENCY_KEY,
        lambda: ledger.credit(customer, "1", "USD", idempotency_key=key),
    )


def test_a_key_of_200_characters_is_accepted(customer):
    entry = ledger.credit(customer, "1", "USD", idempotency_key="k" * 200)
    assert entry.idempotency_key == "api:" + "k" * 200


def test_a_failing_account_does_not_stop_the_expiry_of_the_others(
    make_customer, fund, monkeypatch
):
    customers = [make_customer() for _ in range(3)]
    for customer in customers:
        fund(customer, "10", expires_at=in_days(1))
    broken = customers[0]
    real = expiry.expire_accounts
    broken_account = ledger.get_account(broken, "USD").pk

    def fail_for_one(account_ids, now):
        if broken_account in account_ids:
            raise RuntimeError("broken account")
        return real(account_ids, now)

    monkeypatch.setattr(expiry, "expire_accounts", fail_for_one)
    first = ledger.expire_due_lots(now=in_days(2))
    assert sorted(e.account.user_id for e in first) == sorted(
        c.pk for c in customers[1:]
    )

    monkeypatch.setattr(expiry, "expire_accounts", real)
    retried = ledger.expire_due_lots(now=in_days(2))
    assert [e.account.user_id for e in retried] == [broken.pk]
    assert StoreCreditEntry.objects.filter(kind=EntryKind.EXPIRY).count() == 3
