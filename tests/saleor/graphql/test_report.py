"""storeCreditReport through /graphql/: the numbers of reports.build_report as Money."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from saleor_storecredit import ledger
from saleor_storecredit.actors import Reference

from .conftest import outcome

REPORT = """
query($period: DateTimeRangeInput) {
  storeCreditReport(currency: "usd", period: $period) {
    currency periodStart periodEnd
    openingLiability { amount currency } closingLiability { amount }
    issued { amount } spent { amount } refunded { amount } expired { amount }
    withdrawn { amount } transferred { amount } toppedUp { amount } bonus { amount }
    movements { reason credited { amount } debited { amount } net { amount } count }
    accountsWithBalance expiringSoon { amount } expiringAccounts
  }
}
"""


def test_report_for_a_period(caller, customer_user, customer_user2, credit, order):
    credit(customer_user, "40")
    start = timezone.now()
    credit(customer_user2, "25", reason="bonus", kind="bonus")
    credit(customer_user2, "5", expires_at=timezone.now() + timedelta(days=7))
    ledger.debit(
        customer_user,
        Decimal("15"),
        "USD",
        idempotency_key="pay",
        reference=Reference(order_id=order.pk),
    )

    status, data = outcome(
        caller("app").post_graphql(REPORT, {"period": {"gte": start.isoformat()}}),
        "storeCreditReport",
    )

    assert status == "ok"
    assert data["currency"] == "USD"
    assert data["openingLiability"] == {"amount": 40.0, "currency": "USD"}
    assert data["closingLiability"] == {"amount": 55.0}
    assert data["issued"] == {"amount": 30.0}
    assert data["spent"] == {"amount": 15.0}
    assert data["bonus"] == {"amount": 25.0}
    assert {m["reason"]: m["net"]["amount"] for m in data["movements"]} == {
        "bonus": 25.0,
        "manual": 5.0,
        "payment": -15.0,
    }
    assert data["accountsWithBalance"] == 2
    assert data["expiringSoon"] == {"amount": 5.0}
    assert data["expiringAccounts"] == 1
