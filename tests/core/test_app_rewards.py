"""App rewards without Saleor: who may give them, what kind, whose source."""

from decimal import Decimal

import pytest

from saleor_storecredit import app_rewards, ledger
from saleor_storecredit.actors import Actor
from saleor_storecredit.config import parse_settings
from saleor_storecredit.error_codes import StoreCreditErrorCode
from saleor_storecredit.exceptions import StoreCreditError
from saleor_storecredit.ledger.reads import usable_by_purpose
from saleor_storecredit.ledger.rules import DEFAULT_RULES
from saleor_storecredit.models import LotKind, LotSource, Reason

from .conftest import ledger_rows

APP = Actor(type="app", app_id=7)
OTHER_APP = Actor(type="app", app_id=8)
NO_SETTINGS = parse_settings([])


def give(customer, amount="10.00", key="r-1", actor=APP, **kwargs):
    kwargs.setdefault("settings", NO_SETTINGS)
    return app_rewards.reward(
        customer, amount, "USD", idempotency_key=key, actor=actor, **kwargs
    )


def refused(code, call):
    before = ledger_rows()
    with pytest.raises(StoreCreditError) as error:
        call()
    assert error.value.code == code
    assert ledger_rows() == before


def test_reward_is_app_credit_from_the_app(customer):
    entry = give(customer)

    assert (entry.reason, entry.actor_type, entry.actor_app_id) == (
        Reason.APP_REWARD,
        "app",
        7,
    )
    assert entry.idempotency_key == "app:7:r-1"
    assert (entry.lot.kind, entry.lot.source, entry.lot.source_id) == (
        LotKind.APP,
        LotSource.APP,
        "7",
    )
    assert usable_by_purpose(entry.account, DEFAULT_RULES) == {
        "pay": Decimal("10.00"),
        "withdraw": Decimal(0),
        "transfer": Decimal(0),
    }


def test_same_key_from_two_apps_gives_two_rewards(customer):
    mine = give(customer)
    theirs = give(customer, actor=OTHER_APP)

    assert mine.pk != theirs.pk
    assert give(customer) == mine
    assert ledger.get_account(customer, "USD").balance == Decimal("20.00")


@pytest.mark.parametrize(
    "actor",
    [Actor.staff, Actor.customer, lambda _user: Actor()],
    ids=["staff", "customer", "system"],
)
def test_only_apps_give_rewards(actor, customer, staff):
    refused(
        StoreCreditErrorCode.PERMISSION_DENIED,
        lambda: give(customer, actor=actor(staff)),
    )


@pytest.mark.parametrize(
    "kind", [k for k in LotKind.values if k not in ("app", "cashback")]
)
def test_rewards_are_never_another_kind(kind, customer):
    refused(
        StoreCreditErrorCode.NOT_ALLOWED_FOR_KIND, lambda: give(customer, kind=kind)
    )


def test_staff_and_inactive_users_receive_nothing(customer, staff):
    refused(StoreCreditErrorCode.NOT_FOUND, lambda: give(staff))
    customer.is_active = False
    customer.save(update_fields=["is_active"])
    refused(StoreCreditErrorCode.NOT_FOUND, lambda: give(customer))


def test_above_the_threshold_a_reward_is_refused(customer):
    strict = parse_settings([{"name": "approval_threshold", "value": "USD:5"}])

    refused(
        StoreCreditErrorCode.AMOUNT_TOO_LARGE,
        lambda: give(customer, "5.01", settings=strict),
    )
    assert give(customer, "5.00", settings=strict).amount == Decimal("5.00")


def test_an_app_takes_back_only_its_own_unspent_reward(customer, fund):
    mine = give(customer)
    theirs = give(customer, key="r-2", actor=OTHER_APP)
    staff_credit = fund(customer, "3.00")

    refused(
        StoreCreditErrorCode.PERMISSION_DENIED,
        lambda: app_rewards.take_back(theirs, idempotency_key="t", actor=APP),
    )
    refused(
        StoreCreditErrorCode.ENTRY_NOT_REVERSIBLE,
        lambda: app_rewards.take_back(staff_credit, idempotency_key="t", actor=APP),
    )
    reversal = app_rewards.take_back(mine, idempotency_key="t", actor=APP)
    assert reversal.amount == Decimal("-10.00")
    assert app_rewards.take_back(mine, idempotency_key="t", actor=APP) == reversal
    assert ledger.get_account(customer, "USD").balance == Decimal("13.00")
