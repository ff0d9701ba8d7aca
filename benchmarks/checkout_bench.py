"""End-to-end checkout paid with store credit against the same checkout paid by
a plain app transaction, measured in the same run against real Saleor core.

Each round builds two identical checkouts of one customer (copies of Saleor's
`checkout_ready_to_complete` fixture) and completes both through /graphql/:

- credit:   storeCreditCheckoutApply (the whole total) + checkoutComplete
- baseline: transactionCreate by a payment app (the whole total) + checkoutComplete

Rounds alternate which road goes first. The benchmark runs outside a test
transaction, as Saleor runs in production: every write commits, and Saleor's
on-commit work (order_created and its hooks) runs inside checkoutComplete. The report gives the median time of
each road, and the median of the per-round ratios credit / baseline (target:
credit within 15% of the baseline), and the ledger is verified afterwards.

A second benchmark applies and removes store credit on a fresh checkout against
Saleor's own gift-card path (checkoutAddPromoCode / checkoutRemovePromoCode with
a gift card) on an identical one: median time and database queries of each, and
the median per-round ratio (target: apply within 1.1x of the gift card).

Run with a Python that has Saleor (see scripts/test.sh), from the project root:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/storecredit_bench_saleor \\
    PYTHONPATH=. $SALEOR_PYTHON benchmarks/checkout_bench.py [--rounds 30]

It uses Saleor's test settings and fixtures (the first run migrates Saleor's
schema, a few minutes; later runs reuse it).
"""

import os
import statistics
import sys
import time
from contextlib import ExitStack
from decimal import Decimal

import pytest

ROUNDS = int(os.environ.get("CHECKOUT_BENCH_ROUNDS", "60"))


def _copy_checkout(checkout):
    from saleor.checkout.models import Checkout

    lines = list(checkout.lines.all())
    checkout.pk = None
    checkout.token = None
    checkout.save()
    for line in lines:
        line.pk = None
        line.checkout = checkout
        line.save()
    return Checkout.objects.get(pk=checkout.pk)


@pytest.mark.django_db(transaction=True)
def test_checkout_benchmark(
    user_api_client,
    app_api_client,
    permission_manage_payments,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
):
    from saleor.graphql.tests.utils import get_graphql_content
    from saleor.order.models import Order
    from saleor.warehouse.models import Stock

    from saleor_storecredit.ledger.verification import find_problems
    from tests.saleor.gateway.utils import (
        TRANSACTION_CREATE,
        apply_credit,
        checkout_id,
        checkout_total,
        complete,
    )

    Stock.objects.update(quantity=1_000_000)
    template_pk = customer_checkout.pk
    total = checkout_total(customer_checkout)
    give_credit(customer_user, total * (ROUNDS + 1))
    app_api_client.app.permissions.add(permission_manage_payments)

    phases = {
        "credit pay": [],
        "credit complete": [],
        "app pay": [],
        "app complete": [],
    }

    def fresh_checkout():
        from saleor.checkout.models import Checkout

        return _copy_checkout(Checkout.objects.get(pk=template_pk))

    def by_credit():
        checkout = fresh_checkout()
        started = time.perf_counter()
        applied = apply_credit(user_api_client, checkout)
        paid = time.perf_counter()
        result = complete(user_api_client, checkout)
        elapsed = time.perf_counter() - started
        phases["credit pay"].append(paid - started)
        phases["credit complete"].append(elapsed - (paid - started))
        assert applied["errors"] == [] and result["errors"] == [], (applied, result)
        return elapsed

    def by_app():
        checkout = fresh_checkout()
        started = time.perf_counter()
        created = get_graphql_content(
            app_api_client.post_graphql(
                TRANSACTION_CREATE,
                {
                    "id": checkout_id(checkout),
                    "transaction": {
                        "name": "Card",
                        "pspReference": "psp",
                        "availableActions": ["REFUND"],
                        "amountCharged": {"amount": str(total), "currency": "USD"},
                    },
                },
            )
        )
        assert created["data"]["transactionCreate"]["errors"] == []
        paid = time.perf_counter()
        result = complete(user_api_client, checkout)
        elapsed = time.perf_counter() - started
        phases["app pay"].append(paid - started)
        phases["app complete"].append(elapsed - (paid - started))
        assert result["errors"] == [], result
        return elapsed

    # Warm up both roads (imports, caches, first queries).
    by_credit()
    by_app()
    credit_times, app_times, round_ratios = [], [], []
    for round_number in range(ROUNDS):
        if round_number % 2:
            app_time = by_app()
            credit_time = by_credit()
        else:
            credit_time = by_credit()
            app_time = by_app()
        credit_times.append(credit_time)
        app_times.append(app_time)
        round_ratios.append(credit_time / app_time)

    credit = statistics.median(credit_times)
    baseline = statistics.median(app_times)
    # Each round pays one checkout each way back to back, so the median of the
    # per-round ratios is steadier than the ratio of medians on a busy machine.
    ratio = statistics.median(round_ratios)
    orders = Order.objects.count()
    problems = find_problems()
    print()
    print(f"checkout benchmark, {ROUNDS} rounds, {orders} orders")
    print(f"  app transaction (baseline): median {baseline * 1000:.1f} ms")
    print(f"  store credit:               median {credit * 1000:.1f} ms")
    print(f"  ratio of medians:           {credit / baseline:.3f}")
    print(
        f"  ratio credit / baseline:    {ratio:.3f} (median of per-round ratios; target <= 1.15)"
    )
    for phase, times in phases.items():
        print(f"  {phase + ':':<28}median {statistics.median(times) * 1000:.1f} ms")
    print(f"  ledger problems:            {len(problems)}")
    assert problems == []
    assert orders == 2 * ROUNDS + 2
    assert Decimal(0) <= ratio


GIFT_CARD_ADD = """
mutation ($id: ID!, $code: String!) {
  checkoutAddPromoCode(id: $id, promoCode: $code) {
    checkout { id authorizeStatus chargeStatus totalPrice { gross { amount } } }
    errors { code field message }
  }
}
"""

GIFT_CARD_REMOVE = """
mutation ($id: ID!, $code: String!) {
  checkoutRemovePromoCode(id: $id, promoCode: $code) {
    checkout { id authorizeStatus }
    errors { code field message }
  }
}
"""


@pytest.mark.django_db(transaction=True)
def test_apply_benchmark(
    user_api_client,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
):
    """Applying (and removing) store credit on a checkout against Saleor's own
    gift-card path on an identical checkout: time and database queries."""
    from django.db import connections
    from django.test.utils import CaptureQueriesContext
    from saleor.giftcard.models import GiftCard
    from saleor.graphql.tests.utils import get_graphql_content

    from saleor_storecredit.ledger.verification import find_problems
    from tests.saleor.gateway.utils import (
        APPLY,
        REMOVE,
        checkout_id,
        checkout_total,
    )

    template_pk = customer_checkout.pk
    total = checkout_total(customer_checkout)
    give_credit(customer_user, total * 2)

    def fresh_checkout():
        from saleor.checkout.models import Checkout

        return _copy_checkout(Checkout.objects.get(pk=template_pk))

    def post(query, variables, field):
        # Saleor reads from its replica alias too: count every connection's
        # queries, once (Saleor's test replica is the primary's connection).
        logs, aliases = set(), []
        for alias in connections:
            if id(connections[alias].queries_log) not in logs:
                logs.add(id(connections[alias].queries_log))
                aliases.append(alias)
        with ExitStack() as stack:
            captured = [
                stack.enter_context(CaptureQueriesContext(connections[alias]))
                for alias in aliases
            ]
            started = time.perf_counter()
            content = get_graphql_content(
                user_api_client.post_graphql(query, variables)
            )
            elapsed = time.perf_counter() - started
        result = content["data"][field]
        assert result["errors"] == [], result
        return elapsed, sum(len(queries) for queries in captured)

    def by_credit(measure):
        variables = {"id": checkout_id(fresh_checkout())}
        measure["credit apply"].append(
            post(APPLY, variables, "storeCreditCheckoutApply")
        )
        measure["credit remove"].append(
            post(REMOVE, variables, "storeCreditCheckoutRemove")
        )

    def by_gift_card(measure):
        card = GiftCard.objects.create(
            code=f"BENCH-{GiftCard.objects.count():06d}",
            initial_balance_amount=total * 2,
            current_balance_amount=total * 2,
            currency="USD",
            is_active=True,
        )
        variables = {"id": checkout_id(fresh_checkout()), "code": card.code}
        measure["gift card apply"].append(
            post(GIFT_CARD_ADD, variables, "checkoutAddPromoCode")
        )
        measure["gift card remove"].append(
            post(GIFT_CARD_REMOVE, variables, "checkoutRemovePromoCode")
        )

    warm_up = {
        k: []
        for k in (
            "credit apply",
            "credit remove",
            "gift card apply",
            "gift card remove",
        )
    }
    by_credit(warm_up)
    by_gift_card(warm_up)
    measure = {k: [] for k in warm_up}
    for round_number in range(ROUNDS):
        roads = (
            (by_credit, by_gift_card) if round_number % 2 else (by_gift_card, by_credit)
        )
        for road in roads:
            road(measure)

    def ratio(action):
        credit = measure[f"credit {action}"]
        gift = measure[f"gift card {action}"]
        per_round = [c[0] / g[0] for c, g in zip(credit, gift, strict=True)]
        return statistics.median(per_round)

    problems = find_problems()
    print()
    print(
        f"apply benchmark, {ROUNDS} rounds, store credit vs gift card (checkoutAddPromoCode)"
    )
    for name, samples in measure.items():
        times = [t for t, _ in samples]
        queries = statistics.median(q for _, q in samples)
        print(
            f"  {name + ':':<20}median {statistics.median(times) * 1000:.1f} ms, "
            f"{queries:g} queries"
        )
    print(
        f"  ratio apply:        {ratio('apply'):.3f} (median of per-round ratios; target <= 1.10)"
    )
    print(f"  ratio remove:       {ratio('remove'):.3f}")
    print(f"  ledger problems:    {len(problems)}")
    assert problems == []


def main(argv):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if "--rounds" in argv:
        os.environ["CHECKOUT_BENCH_ROUNDS"] = argv[argv.index("--rounds") + 1]
    # The Saleor suite's conftest modules are loaded as plugins; they import
    # Saleor models, so Django is set up first.
    sys.path.insert(0, root)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.saleor.settings")
    import django

    django.setup()
    return pytest.main(
        [
            os.path.abspath(__file__),
            "-c",
            os.path.join(root, "tests", "saleor", "pytest.ini"),
            "--reuse-db",
            "-q",
            "-s",
            "-p",
            "tests.saleor.conftest",
            "-p",
            "tests.saleor.gateway.conftest",
        ]
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
