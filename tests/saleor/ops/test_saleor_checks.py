"""storecredit_verify's Saleor-side checks: transaction items and checkout holds."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from saleor.payment.models import TransactionItem

from saleor_storecredit import ledger
from saleor_storecredit.actors import Reference
from saleor_storecredit.config import PLUGIN_ID
from saleor_storecredit.saleor_checks import ORPHAN_GRACE, find_saleor_problems

pytestmark = pytest.mark.django_db


def plugin_item(checkout, **amounts):
    return TransactionItem.objects.create(
        checkout=checkout,
        app=None,
        app_identifier=PLUGIN_ID,
        currency="USD",
        name="Store credit",
        **amounts,
    )


def hold_for(user, item, amount, checkout_id):
    return ledger.authorize(
        user,
        amount,
        "USD",
        idempotency_key=f"hold-{item.token}",
        reference=Reference(checkout_id=checkout_id, transaction_id=item.token),
    )


def test_items_matching_the_ledger_are_fine(customer_user, checkout):
    ledger.credit(customer_user, "50", "USD", idempotency_key="c")
    held = plugin_item(checkout, authorized_value=Decimal(10))
    hold_for(customer_user, held, "10", checkout.pk)
    charged = plugin_item(checkout, charged_value=Decimal(6), refunded_value=Decimal(4))
    hold = hold_for(customer_user, charged, "10", checkout.pk)
    ledger.capture(hold, idempotency_key="cap")
    ledger.refund(
        customer_user,
        "4",
        "USD",
        idempotency_key="ref",
        reference=Reference(transaction_id=charged.token),
    )
    # Other apps' items are not ours to check.
    TransactionItem.objects.create(
        checkout=checkout, currency="USD", authorized_value=Decimal(99)
    )

    assert find_saleor_problems() == []


def test_items_that_disagree_are_reported(customer_user, checkout):
    ledger.credit(customer_user, "50", "USD", idempotency_key="c")
    item = plugin_item(
        checkout,
        authorized_value=Decimal(5),
        charged_value=Decimal(1),
        refunded_value=Decimal(2),
    )
    hold_for(customer_user, item, "7", checkout.pk)

    problems = [str(problem) for problem in find_saleor_problems()]

    subject = f"transaction item {item.token} (USD): "
    assert problems == [
        subject + "authorized 5.00 but the ledger holds 7.00",
        subject + "charged 1.00 but the ledger captured 0.00 and refunded 0.00",
        subject + "refunded 2.00 but the ledger refunded 0.00",
    ]


def test_a_hold_outliving_its_checkout_is_reported(customer_user, checkout):
    ledger.credit(customer_user, "50", "USD", idempotency_key="c")
    item = plugin_item(checkout, authorized_value=Decimal(10))
    hold = hold_for(customer_user, item, "10", checkout.pk)
    checkout_id = checkout.pk
    checkout.delete()  # Saleor deletes checkouts without telling plugins

    # Within the grace period the sweeper may still be on its way.
    assert [p for p in find_saleor_problems() if "hold" in p.subject] == []

    later = timezone.now() + ORPHAN_GRACE + timedelta(minutes=1)
    problems = [str(p) for p in find_saleor_problems(now=later)]
    assert (
        f"hold {hold.pk} (USD): still holds 10.00 for checkout {checkout_id}, "
        "which no longer exists"
    ) in problems
