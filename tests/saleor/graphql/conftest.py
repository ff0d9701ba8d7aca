from decimal import Decimal

import pytest
from django.core.cache import cache

from saleor_storecredit import ledger
from saleor_storecredit.actors import SYSTEM


@pytest.fixture(autouse=True)
def _clear_cache():
    # Gift-card attempt counters live in Saleor's cache.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def credit():
    """Give a customer credit through the ledger, as any other caller would."""
    counter = iter(range(1, 10**9))

    def give(user, amount, currency="USD", **kwargs):
        return ledger.credit(
            user,
            Decimal(amount),
            currency,
            idempotency_key=f"test-credit-{next(counter)}",
            actor=SYSTEM,
            **kwargs,
        )

    return give
