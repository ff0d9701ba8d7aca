"""Redeeming a Saleor gift card into store credit: once, whole, and only when usable."""

from datetime import date, timedelta
from decimal import Decimal
from functools import partial

import pytest
from saleor.giftcard import GiftCardEvents
from saleor.graphql.tests.fixtures import ApiClient

from saleor_storecredit import ledger
from saleor_storecredit.giftcards import MAX_FAILED_ATTEMPTS
from saleor_storecredit.ledger.verification import find_problems
from saleor_storecredit.models import StoreCreditEntry

from .conftest import ledger_state, outcome, run_in_parallel

REDEEM = """
mutation($code: String!) {
  storeCreditRedeemGiftCard(code: $code) {
    transaction { kind reason amount { amount currency } customerNote }
    account { balance { amount currency } lots { kind remainingAmount { amount } } }
    errors { field code message }
  }
}
"""


def redeem(client, code):
    return outcome(
        client.post_graphql(REDEEM, {"code": code}), "storeCreditRedeemGiftCard"
    )


def test_redeem_moves_whole_balance_into_credit(
    user_api_client, customer_user, make_gift_card
):
    card = make_gift_card("25.50", currency="EUR")

    status, data = redeem(user_api_client, f"  {card.code} ")

    assert status == "ok"
    assert data["transaction"]["amount"] == {"amount": 25.5, "currency": "EUR"}
    assert data["transaction"]["reason"] == "gift_card"
    assert data["transaction"]["customerNote"].endswith(card.display_code)
    assert data["account"]["balance"] == {"amount": 25.5, "currency": "EUR"}
    assert data["account"]["lots"] == [
        {"kind": "gift_card", "remainingAmount": {"amount": 25.5}}
    ]
    card.refresh_from_db()
    assert card.current_balance_amount == Decimal(0)
    assert card.used_by == customer_user
    event = card.events.get()
    assert event.type == GiftCardEvents.BALANCE_ADJUSTED
    assert event.user == customer_user
    assert event.parameters["balance"]["old_current_balance"] == "25.500"
    assert find_problems() == []


def test_redeem_twice_by_the_same_customer_credits_once(
    user_api_client, customer_user, make_gift_card
):
    card = make_gift_card("10")
    redeem(user_api_client, card.code)

    status, data = redeem(user_api_client, card.code)

    assert status == "ok"  # a retry answers with the first redemption
    assert ledger.get_account(customer_user, "USD").balance == Decimal("10.00")
    assert StoreCreditEntry.objects.filter(gift_card_id=card.pk).count() == 1


def test_card_redeemed_by_someone_else_is_refused(
    user_api_client, user2_api_client, make_gift_card
):
    card = make_gift_card("10")
    redeem(user_api_client, card.code)
    before = ledger_state()

    assert redeem(user2_api_client, card.code) == ("error", ["GIFT_CARD_EMPTY"])
    assert ledger_state() == before


@pytest.mark.parametrize(
    ("card_fields", "code"),
    [
        ({"expiry_date": date.today() - timedelta(days=1)}, "GIFT_CARD_EXPIRED"),
        ({"is_active": False}, "GIFT_CARD_NOT_USABLE"),
        ({"balance": "0"}, "GIFT_CARD_EMPTY"),
    ],
)
def test_unusable_cards_are_refused(card_fields, code, user_api_client, make_gift_card):
    card = make_gift_card(**card_fields)
    before = ledger_state()

    assert redeem(user_api_client, card.code) == ("error", [code])
    assert ledger_state() == before
    card.refresh_from_db()
    assert card.events.count() == 0


def test_card_assigned_to_another_customer_is_refused(
    user_api_client, customer_user2, make_gift_card
):
    card = make_gift_card(
        assigned_to=customer_user2, assigned_to_email=customer_user2.email
    )

    assert redeem(user_api_client, card.code) == ("error", ["GIFT_CARD_NOT_USABLE"])
    card.refresh_from_db()
    assert card.current_balance_amount == Decimal(20)


def test_card_attached_to_a_checkout_is_refused(
    user_api_client, checkout, make_gift_card
):
    card = make_gift_card()
    checkout.gift_cards.add(card)

    assert redeem(user_api_client, card.code) == ("error", ["GIFT_CARD_NOT_USABLE"])
    card.refresh_from_db()
    assert card.current_balance_amount == Decimal(20)


def test_failed_attempts_are_rate_limited_per_customer(
    user_api_client, user2_api_client, make_gift_card
):
    card = make_gift_card()
    for attempt in range(MAX_FAILED_ATTEMPTS):
        assert redeem(user_api_client, f"GUESS{attempt:05d}") == (
            "error",
            ["GIFT_CARD_NOT_FOUND"],
        )

    # Even the right code is refused now: guessing gains nothing.
    assert redeem(user_api_client, card.code) == ("error", ["TOO_MANY_ATTEMPTS"])
    # Another customer is not affected.
    assert redeem(user2_api_client, card.code)[0] == "ok"


@pytest.mark.django_db(transaction=True)
@pytest.mark.concurrency
def test_same_card_redeemed_by_two_customers_at_once_pays_once(
    customer_user, customer_user2, make_gift_card
):
    card = make_gift_card("40.00")
    clients = [ApiClient(user=customer_user), ApiClient(user=customer_user2)]

    results = run_in_parallel(
        *[partial(redeem, client, card.code) for client in clients]
    )

    statuses = sorted(result[0] for result in results)
    assert statuses == ["error", "ok"]
    assert ("error", ["GIFT_CARD_EMPTY"]) in results
    credited = StoreCreditEntry.objects.filter(gift_card_id=card.pk)
    assert [entry.amount for entry in credited] == [Decimal("40.00")]
    card.refresh_from_db()
    assert card.current_balance_amount == Decimal(0)
    assert card.events.count() == 1
    assert find_problems() == []


def test_gift_card_credit_expires_as_the_shop_says_and_never_after_the_card(
    user_api_client, customer_user, make_gift_card
):
    from saleor_storecredit.models import StoreCreditLot

    from ..plugin_config import configure

    configure(expiry_days="gift_card:30")
    lasting = make_gift_card("10")
    soon = make_gift_card("10")
    soon.expiry_date = date.today() + timedelta(days=3)
    soon.save(update_fields=["expiry_date"])

    assert redeem(user_api_client, lasting.code)[0] == "ok"
    assert redeem(user_api_client, soon.code)[0] == "ok"

    first, second = StoreCreditLot.objects.order_by("pk")
    today = date.today()
    assert first.expires_at.date() in (
        today + timedelta(days=30),
        today + timedelta(days=31),
    )
    assert second.expires_at.date() == today + timedelta(days=4)
    assert (first.source, second.source) == ("gift_card", "gift_card")
