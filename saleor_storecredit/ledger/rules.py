"""What each kind of credit may do, and in which order lots are spent.

A lot's kind says what money it is (a paid top-up, a bonus, a refund of a card
payment, ...); the shop decides per kind whether it may pay orders, be
withdrawn as cash or be sent to another customer (the `credit_rules` setting).
The ledger applies the rules under the account's lock: a withdrawal or a
transfer takes only lots of kinds that allow it, a payment only lots that may
pay, and each takes them in the spending order (`spending_order`), soonest
expiry first within a kind.
"""

from dataclasses import dataclass, field

from ..models import LotKind

PAY = "pay"
WITHDRAW = "withdraw"
TRANSFER = "transfer"
USES = (PAY, WITHDRAW, TRANSFER)

# Money the customer paid (a card top-up, a card payment refunded to credit):
# theirs to spend, send or have paid out. Everything the shop gave (bonus,
# goodwill, adjustments, rewards, gift cards it sold for credit) is only spent
# at the shop; received-by-transfer lots before 0011 the same.
DEFAULT_USES = {
    LotKind.TOP_UP: frozenset({PAY, WITHDRAW, TRANSFER}),
    LotKind.REFUND: frozenset({PAY, WITHDRAW, TRANSFER}),
    LotKind.RETURN: frozenset({PAY, WITHDRAW, TRANSFER}),
    LotKind.STORE_CREDIT: frozenset({PAY, TRANSFER}),
    LotKind.GIFT_CARD: frozenset({PAY, TRANSFER}),
    LotKind.BONUS: frozenset({PAY}),
    LotKind.CASHBACK: frozenset({PAY}),
    LotKind.APP: frozenset({PAY}),
    LotKind.ADJUSTMENT: frozenset({PAY}),
    LotKind.TRANSFER: frozenset({PAY}),
}

# Kinds only money the shop received creates (the order that paid for it);
# staff, apps and bulk jobs give credit of the other kinds.
MONEY_KINDS = (LotKind.TOP_UP, LotKind.REFUND, LotKind.RETURN)


def require_given_kind(kind: str) -> str:
    """Credit given by hand is never money the customer paid."""
    from ..error_codes import StoreCreditErrorCode
    from ..exceptions import StoreCreditError

    if kind in MONEY_KINDS:
        raise StoreCreditError(
            f"Credit of kind {kind} is bought with money: only the order that "
            "paid for it creates it. Give store_credit or adjustment instead.",
            code=StoreCreditErrorCode.NOT_ALLOWED_FOR_KIND,
            field="kind",
        )
    return kind


# Promotional credit first, so what the customer paid for stays withdrawable.
DEFAULT_ORDER = (
    LotKind.BONUS,
    LotKind.CASHBACK,
    LotKind.APP,
    LotKind.ADJUSTMENT,
    LotKind.TRANSFER,
    LotKind.STORE_CREDIT,
    LotKind.GIFT_CARD,
    LotKind.RETURN,
    LotKind.REFUND,
    LotKind.TOP_UP,
)


@dataclass(frozen=True)
class CreditRules:
    """Per kind, its uses; and the order kinds are spent in."""

    uses: dict = field(default_factory=lambda: dict(DEFAULT_USES))
    order: tuple = DEFAULT_ORDER

    def allows(self, kind: str, use: str) -> bool:
        return use in self.uses.get(kind, frozenset())

    def kinds_for(self, use: str) -> list[str]:
        return [kind for kind in LotKind.values if self.allows(kind, use)]

    def spending_order(self) -> list[str]:
        """Every kind, listed ones first in their order."""
        listed = [kind for kind in self.order if kind in LotKind.values]
        return listed + [kind for kind in LotKind.values if kind not in listed]

    def rank(self, kind: str) -> int:
        return self.spending_order().index(kind)


DEFAULT_RULES = CreditRules()


@dataclass(frozen=True)
class Spend:
    """What one write may take: lots of `kinds` (None: every kind), in `order`."""

    kinds: tuple | None
    order: tuple

    @classmethod
    def for_use(cls, rules: CreditRules | None, use: str | None) -> "Spend":
        rules = rules or DEFAULT_RULES
        kinds = None if use is None else tuple(rules.kinds_for(use))
        return cls(kinds=kinds, order=tuple(rules.spending_order()))


# Staff corrections, clawbacks and settlements of debt take any credit.
ANY = Spend.for_use(None, None)
