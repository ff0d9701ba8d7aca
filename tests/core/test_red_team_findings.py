"""What an outside attack on the ledger found, each as the attack that must fail."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from saleor_storecredit import ledger
from saleor_storecredit.actors import Actor
from saleor_storecredit.error_codes import StoreCreditErrorCode as Code
from saleor_storecredit.exceptions import StoreCreditError
from saleor_storecredit.importing import import_file
from saleor_storecredit.ledger import keys, writer
from saleor_storecredit.ledger.verification import find_problems, record_checkpoint
from saleor_storecredit.models import StoreCreditCheckpoint

from .conftest import balance_of, ledger_rows


def refused(code, call):
    before = ledger_rows()
    with pytest.raises(StoreCreditError) as error:
        call()
    assert error.value.code == code, error.value
    assert ledger_rows() == before


@pytest.mark.parametrize(
    "actor",
    [
        Actor(type="a" * 20),
        Actor(type="\x00"),
        Actor(type=None),
        Actor(type="bogus"),
        Actor(type="customer"),
        Actor(type="staff", user_id=1, app_id=2),
        Actor(type="app"),
        Actor(type="system", user_id=5),
    ],
)
def test_actors_that_do_not_exist_are_refused(customer, actor):
    refused(
        Code.INVALID,
        lambda: ledger.credit(customer, "1", "USD", idempotency_key="k", actor=actor),
    )


def test_one_bad_request_does_not_stop_a_batch(customer, other_customer):
    results = ledger.credit_many(
        [
            ledger.CreditRequest(customer, "1", "USD", "a"),
            ledger.CreditRequest(
                other_customer, "1", "USD", "b", actor=Actor(type="a" * 20)
            ),
        ]
    )
    assert results[0].entry is not None and results[0].error is None
    assert results[1].error.code == Code.INVALID
    assert ledger.get_account(customer, "USD").balance == Decimal(1)


def test_a_nul_in_an_imported_email_is_a_bad_row(db, tmp_path):
    path = tmp_path / "nul.csv"
    path.write_text("email,currency,amount\nimp@x.com\x00,USD,1\n")
    bad = []
    result = import_file(str(path), create_accounts=True, on_bad_row=bad.append)
    assert result.bad_rows == 1 and [row.line for row in bad] == [2]


def test_export_refuses_a_nul_customer_and_escapes_formulas(customer, fund, tmp_path):
    with pytest.raises(CommandError):
        call_command("storecredit_export", "--customer", "\x00")
    fund(customer, "1", customer_note='=HYPERLINK("http://evil","x")')
    out = tmp_path / "out.csv"
    call_command("storecredit_export", "--output", str(out))
    text = out.read_text()
    assert "'=HYPERLINK" in text
    assert ",=HYPERLINK" not in text


def test_no_transfer_to_the_account_of_a_deleted_customer(
    customer, other_customer, fund
):
    fund(customer, "10")
    orphan = fund(other_customer, "1").account
    other_customer.delete()
    orphan.refresh_from_db()
    refused(
        Code.RECIPIENT_NOT_FOUND,
        lambda: ledger.transfer(customer, orphan, "1", "USD", idempotency_key="t"),
    )


def test_reversing_a_debit_never_takes_a_balance_over_the_maximum(
    customer, fund, monkeypatch
):
    monkeypatch.setattr(writer, "MAX_BALANCE", Decimal("100"))
    fund(customer, "100")
    paid = ledger.debit(customer, "1", "USD", idempotency_key="d")
    fund(customer, "1")
    refused(Code.AMOUNT_TOO_LARGE, lambda: ledger.reverse(paid, idempotency_key="undo"))
    assert balance_of(paid.account) == (Decimal(100), Decimal(0))


def test_a_withdrawal_key_is_out_of_reach_of_customer_keys(customer):
    actor = Actor.customer(customer)
    assert keys.withdrawal_request(actor, "w") != keys.for_caller(
        actor, "w:withdrawal-request"
    )
    assert not keys.withdrawal_request(actor, "w").startswith(keys.CALLER_PREFIXES)


@pytest.mark.parametrize("currency", ["ſek", "ＵＳＤ", "U\u0053D\u0301"])
def test_currencies_are_ascii_codes(customer, currency):
    refused(
        Code.INVALID_CURRENCY,
        lambda: ledger.credit(customer, "1", currency, idempotency_key="c"),
    )


def raw(statement, *params):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(statement, params)
        cursor.execute("SET LOCAL session_replication_role = origin")


@pytest.mark.parametrize(
    "rewrite",
    [
        # a consistent change of an expiry in the lot and all its movements
        "UPDATE storecredit_storecreditlot SET expires_at = NULL;"
        "UPDATE storecredit_storecreditlotmovement SET expires_at = NULL",
        # a credit relabelled
        "UPDATE storecredit_storecreditentry SET kind = 'refund', reason = 'top_up'",
        "UPDATE storecredit_storecreditlot SET kind = 'bonus'",
    ],
)
def test_history_rewritten_after_a_clean_run_is_noticed(
    customer, fund, rewrite, allow_problems
):
    from django.utils import timezone

    fund(customer, "10", expires_at=timezone.now() + timezone.timedelta(days=3))
    record_checkpoint()
    for statement in rewrite.split(";"):
        raw(statement)
    assert any("were changed since" in str(problem) for problem in find_problems())


def test_a_forged_checkpoint_is_noticed(customer, fund, allow_problems):
    fund(customer, "10")
    record_checkpoint()
    StoreCreditCheckpoint.objects.create(
        last_entry_id=0,
        entries=0,
        last_account_id=0,
        accounts=0,
        last_movement_id=0,
        movements=0,
    )
    assert any("fewer rows" in str(problem) for problem in find_problems())
