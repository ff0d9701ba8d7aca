"""Migration 0011 gives lots written before it the best provenance their
entries allow; what it cannot tell is marked unknown and verify says so."""

import importlib
import uuid
from decimal import Decimal

from django.core.management import call_command
from django.db import connection

from saleor_storecredit import ledger
from saleor_storecredit.actors import Actor, Reference
from saleor_storecredit.ledger import keys
from saleor_storecredit.ledger.verification import unknown_provenance
from saleor_storecredit.models import LotKind, LotSource, Reason, StoreCreditLot

migration = importlib.import_module(
    "saleor_storecredit.migrations.0011_credit_provenance"
)


class _Editor:
    connection = connection


def _as_before_0011():
    StoreCreditLot.objects.update(
        source=LotSource.UNKNOWN, source_id="", order_id=None, cash_backed=False
    )


def test_lots_get_their_source_from_the_entry_that_made_them(customer, staff):
    order_id = uuid.uuid4()
    order = Reference(order_id=order_id)
    top_up = ledger.credit(
        customer,
        "30",
        "USD",
        idempotency_key=keys.order(order_id, "top-up"),
        kind=LotKind.TOP_UP,
        reason=Reason.TOP_UP,
        reference=order,
    )
    bonus = ledger.credit(
        customer,
        "3",
        "USD",
        idempotency_key=keys.order(order_id, "top-up-bonus"),
        kind=LotKind.BONUS,
        reason=Reason.BONUS,
        reference=order,
    )
    goodwill = ledger.adjust(
        customer, "10", "USD", idempotency_key="sorry", actor=Actor.staff(staff)
    )
    refunded = ledger.credit(
        customer,
        "40",
        "USD",
        idempotency_key=keys.order(order_id, "refund-to-credit"),
        kind=LotKind.REFUND,
        reason=Reason.REFUND,
        reference=order,
    )
    mystery = ledger.credit(customer, "5", "USD", idempotency_key=keys.gift_card(7))
    _as_before_0011()

    migration.backfill_provenance(None, _Editor())

    def lot(entry):
        return StoreCreditLot.objects.get(pk=entry.lot_id)

    assert (lot(top_up).source, lot(top_up).cash_backed, lot(top_up).order_id) == (
        LotSource.TOP_UP,
        True,
        order_id,
    )
    assert (lot(bonus).source, lot(bonus).cash_backed) == (LotSource.BONUS, False)
    assert (lot(goodwill).source, lot(goodwill).source_id) == (
        LotSource.STAFF,
        str(staff.pk),
    )
    assert (lot(refunded).source, lot(refunded).cash_backed) == (
        LotSource.ORDER_REFUND,
        True,
    )
    assert lot(mystery).source == LotSource.UNKNOWN
    lots, left, accounts = unknown_provenance()
    assert (lots, left, accounts) == (1, Decimal(5), 1)


def test_verify_names_lots_of_unknown_source(customer, capsys):
    ledger.credit(customer, "5", "USD", idempotency_key=keys.gift_card(8))
    _as_before_0011()
    migration.backfill_provenance(None, _Editor())

    call_command("storecredit_verify")

    assert "1 lot(s) in 1 account(s)" in capsys.readouterr().out
