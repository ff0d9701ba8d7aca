"""Random sequences of ledger operations, valid and invalid, checked against a
plain-Python model of the ledger after every step."""

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saleor_storecredit import ledger
from saleor_storecredit.actors import Reference
from saleor_storecredit.error_codes import StoreCreditErrorCode as Code
from saleor_storecredit.exceptions import StoreCreditError
from saleor_storecredit.ledger.rules import DEFAULT_RULES, TRANSFER
from saleor_storecredit.ledger.verification import find_problems
from saleor_storecredit.models import (
    AccountStatus,
    LotKind,
    StoreCreditEntry,
    StoreCreditLot,
    StoreCreditLotMovement,
)

from .conftest import ledger_rows

CUSTOMERS = 2
ORDERS = [
    Reference(order_id=uuid.UUID(int=1)),
    Reference(order_id=uuid.UUID(int=2)),
]

valid_amounts = st.decimals(
    min_value=Decimal("0.01"), max_value=Decimal("60"), places=2
).map(str)
invalid_amounts = st.sampled_from(
    [
        ("0", Code.AMOUNT_NOT_POSITIVE),
        ("-5", Code.AMOUNT_NOT_POSITIVE),
        ("NaN", Code.INVALID_AMOUNT),
        ("Infinity", Code.INVALID_AMOUNT),
        ("0.005", Code.TOO_MANY_DECIMAL_PLACES),
        ("1e13", Code.AMOUNT_TOO_LARGE),
        (2.5, Code.INVALID_AMOUNT),
        ("two", Code.INVALID_AMOUNT),
    ]
)
amounts = st.one_of(
    valid_amounts.map(lambda a: (a, None)),
    valid_amounts.map(lambda a: (a, None)),
    invalid_amounts,
)
who = st.integers(0, CUSTOMERS - 1)
order = st.sampled_from([None, 0, 1])
pick = st.integers(0, 10**6)  # an index into earlier holds or entries

STRATEGIES = {
    "credit": st.tuples(
        st.just("credit"), who, amounts, st.sampled_from([None, 1, 2, 3, 5])
    ),
    "debit": st.tuples(st.just("debit"), who, amounts, order),
    "authorize": st.tuples(st.just("authorize"), who, amounts, order),
    "capture": st.tuples(st.just("capture"), pick, st.one_of(st.none(), amounts)),
    "release": st.tuples(st.just("release"), pick, st.one_of(st.none(), amounts)),
    "refund": st.tuples(st.just("refund"), who, amounts, st.sampled_from([0, 1])),
    "adjust": st.tuples(st.just("adjust"), who, amounts, st.booleans()),
    "transfer": st.tuples(st.just("transfer"), who, amounts),
    "expire": st.tuples(st.just("expire"), st.sampled_from([1, 2, 3, 4, 6])),
    "reverse": st.tuples(st.just("reverse"), pick),
    "status": st.tuples(st.just("status"), who, st.booleans()),
    "retry": st.tuples(st.just("retry"), pick),
}
# Credits and debits come more often so that accounts hold several lots.
WEIGHTS = {"credit": 5, "debit": 3, "authorize": 2, "capture": 2, "refund": 2}
operations = st.sampled_from(
    [name for name in STRATEGIES for _ in range(WEIGHTS.get(name, 1))]
).flatmap(STRATEGIES.__getitem__)


@dataclass
class Lot:
    pk: int
    remaining: Decimal
    expires: int | None  # days after the start of the example
    seq: int
    held: Decimal = Decimal(0)  # reserved by open holds
    kind: str = LotKind.STORE_CREDIT

    @property
    def free(self):
        return self.remaining - self.held


@dataclass
class Account:
    lots: list = field(default_factory=list)
    held: Decimal = Decimal(0)
    on_hold: bool = False
    exists: bool = False

    @property
    def balance(self):
        return sum((lot.remaining for lot in self.lots), Decimal(0))

    @property
    def available(self):
        return self.balance - self.held


@dataclass
class Hold:
    pk: int
    owner: int
    remaining: Decimal
    order: int | None
    parts: list = field(default_factory=list)  # [lot, reserved] in spending order


@dataclass
class Entry:
    pk: int
    owner: int
    amount: Decimal  # signed, as the ledger stores it
    lot_pk: int | None
    order: int | None
    reversible: bool
    reversed: bool = False
    # (lot, amount) a debit took, or a refund put back.
    moved: list = field(default_factory=list)


class Model:
    """What the ledger should do, in plain Python."""

    def __init__(self):
        self.accounts = [Account() for _ in range(CUSTOMERS)]
        self.holds: list[Hold] = []
        self.entries: list[Entry] = []
        self.spent = {}  # (customer, order) -> spent and not given back
        # (customer, order) -> {lot pk: [lot, taken and not given back, first seq]}
        self.paid_lots = {}
        self.seq = 0
        self.last_moves = []

    def add_lot(self, owner, pk, amount, expires, kind=LotKind.STORE_CREDIT):
        self.seq += 1
        self.accounts[owner].lots.append(
            Lot(pk, Decimal(amount), expires, self.seq, kind=kind)
        )

    @staticmethod
    def spending_order(lot):
        rank = DEFAULT_RULES.rank(lot.kind)
        return (rank, lot.expires is None, lot.expires or 0, lot.seq)

    def free_of(self, owner, use):
        return sum(
            (
                lot.free
                for lot in self.accounts[owner].lots
                if DEFAULT_RULES.allows(lot.kind, use)
            ),
            Decimal(0),
        )

    def free_parts(self, owner, amount, use=None):
        """(lot, part) of the free credit `amount` takes, in spending order."""
        parts = []
        lots = [
            lot
            for lot in self.accounts[owner].lots
            if use is None or DEFAULT_RULES.allows(lot.kind, use)
        ]
        for lot in sorted(lots, key=self.spending_order):
            take = min(lot.free, amount)
            if take > 0:
                parts.append((lot, take))
                amount -= take
        assert amount == 0
        return parts

    def consume(self, owner, amount, use=None):
        taken = []
        self.last_moves = self.free_parts(owner, amount, use)
        for lot, take in self.last_moves:
            lot.remaining -= take
            taken.append(lot)
        return taken

    def took_for(self, owner, order, moves):
        """A payment of `order` took these lot parts (refunds give them back)."""
        if order is None:
            return
        lots = self.paid_lots.setdefault((owner, order), {})
        for lot, take in moves:
            self.seq += 1
            if lot.pk in lots:
                lots[lot.pk][1] += take
            else:
                lots[lot.pk] = [lot, take, self.seq]

    def restore_for(self, owner, order, amount):
        """A refund of `amount` for `order`: back into the lots it took, in
        the order they were taken."""
        lots = self.paid_lots.get((owner, order), {})
        moves = []
        for entry in sorted(lots.values(), key=lambda item: item[2]):
            lot, net = entry[0], entry[1]
            give = min(net, amount)
            if give > 0:
                lot.remaining += give
                entry[1] -= give
                amount -= give
                moves.append((lot, give))
        assert amount == 0
        return moves

    def give_back(self, owner, order, amount):
        if order is not None:
            self.spent[owner, order] = self.spent.get((owner, order), 0) + amount

    def refundable(self, owner, order):
        return self.spent.get((owner, order), Decimal(0))


def expect_refusal(code, call):
    rows = ledger_rows()
    with pytest.raises(StoreCreditError) as error:
        call()
    assert error.value.code == code, (error.value.code, error.value.message)
    assert ledger_rows() == rows


def check(model, customers):
    """The model's balances after every operation (cheap); storecredit_verify's
    full check runs at the end of each example (the history is append-only, so
    any wrong write is still there then)."""
    for owner, customer in enumerate(customers):
        expected = model.accounts[owner]
        account = ledger.get_account(customer, "USD")
        if not expected.exists:
            assert account is None
            continue
        assert (account.balance, account.held) == (expected.balance, expected.held)
        assert account.balance >= 0 and account.available >= 0
        assert account.balance == sum(e.amount for e in account.entries.all())
        lots = {
            pk: (remaining, held)
            for pk, remaining, held in account.lots.values_list(
                "pk", "remaining_amount", "held_amount"
            )
        }
        assert lots == {lot.pk: (lot.remaining, lot.held) for lot in expected.lots}


class Runner:
    def __init__(self, customers):
        self.customers = customers
        self.model = Model()
        self.start = timezone.now()
        self.keys = 0
        self.done = []  # (call, identity) of successful calls, for retries

    def key(self):
        self.keys += 1
        return f"k{self.keys}"

    def succeed(self, call, result):
        identity = (
            (result.debit.pk, result.credit.pk)
            if hasattr(result, "debit")
            else result.pk
        )
        self.done.append((call, identity))
        return result

    def entry(self, owner, result, order=None, reversible=True):
        self.model.entries.append(
            Entry(
                result.pk,
                owner,
                result.amount,
                result.lot_id,
                order,
                reversible,
                moved=self.model.last_moves if result.amount < 0 else [],
            )
        )

    def run(self, op):
        name, *args = op
        getattr(self, name)(*args)

    def validate(self, amount_case, call, *, negative=False):
        amount, code = amount_case
        if code is not None:
            if negative and amount == "-5":
                return False
            expect_refusal(code, call)
            return True
        return False

    def credit(self, owner, amount_case, expires_in):
        m, account = self.model, self.model.accounts[owner]
        expires_at = self.start + timedelta(days=expires_in) if expires_in else None
        key = self.key()

        def call():
            return ledger.credit(
                self.customers[owner],
                amount_case[0],
                "USD",
                idempotency_key=key,
                expires_at=expires_at,
            )

        if self.validate(amount_case, call):
            return
        result = self.succeed(call, call())
        account.exists = True
        m.add_lot(owner, result.lot_id, amount_case[0], expires_in)
        self.entry(owner, result)

    def _spend(self, owner, amount_case, order, service):
        account = self.model.accounts[owner]
        reference = ORDERS[order] if order is not None else Reference()
        key = self.key()

        def call():
            return service(
                self.customers[owner],
                amount_case[0],
                "USD",
                idempotency_key=key,
                reference=reference,
            )

        if self.validate(amount_case, call):
            return None
        amount = Decimal(amount_case[0])
        if not account.exists:
            return expect_refusal(Code.INSUFFICIENT_FUNDS, call)
        if account.on_hold:
            return expect_refusal(Code.ACCOUNT_ON_HOLD, call)
        if amount > account.available:
            return expect_refusal(Code.INSUFFICIENT_FUNDS, call)
        return self.succeed(call, call()), amount

    def debit(self, owner, amount_case, order):
        done = self._spend(owner, amount_case, order, ledger.debit)
        if done:
            result, amount = done
            self.model.consume(owner, amount)
            self.model.took_for(owner, order, self.model.last_moves)
            self.model.give_back(owner, order, amount)
            self.entry(owner, result, order)

    def authorize(self, owner, amount_case, order):
        done = self._spend(owner, amount_case, order, ledger.authorize)
        if done:
            hold, amount = done
            self.model.accounts[owner].held += amount
            parts = [[lot, part] for lot, part in self.model.free_parts(owner, amount)]
            for lot, part in parts:
                lot.held += part
            self.model.holds.append(Hold(hold.pk, owner, amount, order, parts))

    def _settle(self, index, amount_case, capture):
        if not self.model.holds:
            return
        hold = self.model.holds[index % len(self.model.holds)]
        account = self.model.accounts[hold.owner]
        service = ledger.capture if capture else ledger.release
        amount = amount_case[0] if amount_case else None
        key = self.key()

        def call():
            return service(hold.pk, amount, idempotency_key=key)

        if amount_case and self.validate(amount_case, call):
            return
        if hold.remaining == 0:
            return expect_refusal(Code.HOLD_NOT_ACTIVE, call)
        amount = Decimal(amount) if amount is not None else hold.remaining
        if amount > hold.remaining:
            return expect_refusal(Code.CAPTURE_EXCEEDS_HOLD, call)
        self.succeed(call, call())
        hold.remaining -= amount
        account.held -= amount
        parts = hold.parts if capture else list(reversed(hold.parts))
        moves, left = [], amount
        for part in parts:
            lot, reserved = part
            take = min(reserved, left)
            if take <= 0:
                continue
            part[1] -= take
            lot.held -= take
            left -= take
            if capture:
                lot.remaining -= take
                moves.append((lot, take))
        assert left == 0
        if capture:
            self.model.took_for(hold.owner, hold.order, moves)
            self.model.give_back(hold.owner, hold.order, amount)

    def capture(self, index, amount_case):
        self._settle(index, amount_case, capture=True)

    def release(self, index, amount_case):
        self._settle(index, amount_case, capture=False)

    def refund(self, owner, amount_case, order):
        key = self.key()

        def call():
            return ledger.refund(
                self.customers[owner],
                amount_case[0],
                "USD",
                idempotency_key=key,
                reference=ORDERS[order],
            )

        if self.validate(amount_case, call):
            return
        amount = Decimal(amount_case[0])
        if amount > self.model.refundable(owner, order):
            return expect_refusal(Code.REFUND_EXCEEDS_CAPTURED, call)
        result = self.succeed(call, call())
        moves = self.model.restore_for(owner, order, amount)
        self.model.give_back(owner, order, -amount)
        self.entry(owner, result, order)
        self.model.entries[-1].moved = moves

    def adjust(self, owner, amount_case, negative):
        account = self.model.accounts[owner]
        value = amount_case[0]
        if negative and amount_case[1] is None:
            value = f"-{value}"
        key = self.key()

        def call():
            return ledger.adjust(
                self.customers[owner], value, "USD", idempotency_key=key
            )

        if self.validate(amount_case, call, negative=True):
            return
        amount = Decimal(value)
        if amount > 0:
            result = self.succeed(call, call())
            account.exists = True
            self.model.add_lot(owner, result.lot_id, amount, None, LotKind.ADJUSTMENT)
            self.entry(owner, result)
            return
        if not account.exists or -amount > account.available:
            return expect_refusal(Code.INSUFFICIENT_FUNDS, call)
        result = self.succeed(call, call())
        self.model.consume(owner, -amount)
        self.entry(owner, result)

    def transfer(self, owner, amount_case):
        target = (owner + 1) % CUSTOMERS
        source = self.model.accounts[owner]
        key = self.key()

        def call():
            return ledger.transfer(
                self.customers[owner],
                self.customers[target],
                amount_case[0],
                "USD",
                idempotency_key=key,
            )

        if self.validate(amount_case, call):
            return
        amount = Decimal(amount_case[0])
        if not source.exists:
            return expect_refusal(Code.INSUFFICIENT_FUNDS, call)
        if source.on_hold:
            return expect_refusal(Code.ACCOUNT_ON_HOLD, call)
        if amount > source.available or amount > self.model.free_of(owner, TRANSFER):
            return expect_refusal(Code.INSUFFICIENT_FUNDS, call)
        result = self.succeed(call, call())
        self.model.consume(owner, amount, TRANSFER)
        self.model.accounts[target].exists = True
        # One lot received per lot sent, with that lot's expiry.
        received = StoreCreditLotMovement.objects.filter(
            entry_id=result.credit.pk
        ).order_by("pk")
        for (sent, take), movement in zip(self.model.last_moves, received, strict=True):
            assert movement.amount == take
            self.model.add_lot(target, movement.lot_id, take, sent.expires, sent.kind)
        self.entry(owner, result.debit, reversible=False)
        self.entry(target, result.credit, reversible=False)

    def expire(self, days):
        now = self.start + timedelta(days=days, seconds=1)
        expected = 0
        for account in self.model.accounts:
            due = [lot for lot in account.lots if lot.expires and lot.expires <= days]
            for lot in due:
                # What a hold reserves stays until the hold ends.
                if lot.free > 0:
                    lot.remaining = lot.held
                    expected += 1
        assert len(ledger.expire_due_lots(now=now)) == expected

    def reverse(self, index):
        if not self.model.entries:
            return
        entry = self.model.entries[index % len(self.model.entries)]
        account = self.model.accounts[entry.owner]
        key = self.key()

        def call():
            return ledger.reverse(entry.pk, idempotency_key=key)

        if not entry.reversible or entry.reversed:
            return expect_refusal(Code.ENTRY_NOT_REVERSIBLE, call)
        if entry.amount < 0:
            order = entry.order
            if (
                order is not None
                and self.model.refundable(entry.owner, order) < -entry.amount
            ):
                return expect_refusal(Code.ENTRY_NOT_REVERSIBLE, call)
            self.succeed(call, call())
            for lot, take in entry.moved:  # back into the lots it came from
                lot.remaining += take
            self.model.give_back(entry.owner, order, entry.amount)
            self.model.took_for(
                entry.owner, order, [(lot, -take) for lot, take in entry.moved]
            )
        else:
            # A credit takes back its lot; a refund the lots it put back into.
            moves = entry.moved or [
                (lot, entry.amount) for lot in account.lots if lot.pk == entry.lot_pk
            ]
            if any(lot.free < take for lot, take in moves):
                # Spent, expired or held: never other credit.
                return expect_refusal(Code.ENTRY_NOT_REVERSIBLE, call)
            if entry.amount > account.available:
                return expect_refusal(Code.INSUFFICIENT_FUNDS, call)
            self.succeed(call, call())
            for lot, take in moves:
                lot.remaining -= take
            if entry.order is not None:  # a reversed refund may be refunded again
                self.model.give_back(entry.owner, entry.order, entry.amount)
                self.model.took_for(entry.owner, entry.order, moves)
        entry.reversed = True

    def status(self, owner, on_hold):
        account = self.model.accounts[owner]
        if not account.exists:
            return
        stored = ledger.get_account(self.customers[owner], "USD")
        ledger.set_status(
            stored, AccountStatus.ON_HOLD if on_hold else AccountStatus.ACTIVE
        )
        account.on_hold = on_hold

    def retry(self, index):
        if not self.done:
            return
        call, identity = self.done[index % len(self.done)]
        rows = ledger_rows()
        result = call()
        again = (
            (result.debit.pk, result.credit.pk)
            if hasattr(result, "debit")
            else result.pk
        )
        assert again == identity
        assert ledger_rows() == rows


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(operations, min_size=8, max_size=30))
def test_random_operations_keep_the_ledger_exact(ops):
    with transaction.atomic():
        User = get_user_model()
        customers = [
            User.objects.create_user(username=f"p{n}", email=f"p{n}@example.com")
            for n in range(CUSTOMERS)
        ]
        runner = Runner(customers)
        for op in ops:
            runner.run(op)
            check(runner.model, customers)
        assert find_problems() == []
        assert (
            StoreCreditEntry.objects.filter(amount__lt=0, balance_after__lt=0).count()
            == 0
        )
        assert not StoreCreditLot.objects.filter(remaining_amount__lt=0).exists()
        transaction.set_rollback(True)
