"""Batch loaders so lists of accounts, transactions and withdrawals cost a fixed
number of queries, however long the page."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Q, Sum, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from saleor.graphql.core.dataloaders import DataLoader

from ..models import (
    EntryKind,
    Reason,
    StoreCreditAccount,
    StoreCreditAdjustmentApproval,
    StoreCreditEntry,
    StoreCreditLot,
)


class StoreCreditAccountByIdLoader(DataLoader[int, StoreCreditAccount]):
    context_key = "storecredit_account_by_id"

    def batch_load(self, keys):
        accounts = StoreCreditAccount.objects.using(
            self.database_connection_name
        ).in_bulk(keys)
        return [accounts.get(key) for key in keys]


class ApprovalByEntryIdLoader(DataLoader[int, StoreCreditAdjustmentApproval]):
    """The approval an entry was made for, if it was approved by a second staff
    member."""

    context_key = "storecredit_approval_by_entry_id"

    def batch_load(self, keys):
        approvals = {
            approval.entry_id: approval
            for approval in StoreCreditAdjustmentApproval.objects.using(
                self.database_connection_name
            ).filter(entry_id__in=keys)
        }
        return [approvals.get(key) for key in keys]


class UnspentLotsByAccountIdLoader(DataLoader[int, list[StoreCreditLot]]):
    """Lots with credit left, in the order payments drain them."""

    context_key = "storecredit_unspent_lots_by_account_id"

    def batch_load(self, keys):
        lots = (
            StoreCreditLot.objects.using(self.database_connection_name)
            .filter(account_id__in=keys, remaining_amount__gt=0)
            .select_related("account")
            .order_by(F("expires_at").asc(nulls_last=True), "created_at", "pk")
        )
        by_account = defaultdict(list)
        for lot in lots:
            by_account[lot.account_id].append(lot)
        return [by_account.get(key, []) for key in keys]


class StoreCreditAccountsByUserIdLoader(DataLoader[int, list[StoreCreditAccount]]):
    """A customer's accounts, one per currency, in currency order."""

    context_key = "storecredit_accounts_by_user_id"

    def batch_load(self, keys):
        by_user = defaultdict(list)
        for account in (
            StoreCreditAccount.objects.using(self.database_connection_name)
            .filter(user_id__in=keys)
            .order_by("currency", "pk")
        ):
            by_user[account.user_id].append(account)
        return [by_user.get(key, []) for key in keys]


class StoreCreditAccountByUserIdAndCurrencyLoader(
    DataLoader[tuple[int, str], StoreCreditAccount | None]
):
    context_key = "storecredit_account_by_user_id_and_currency"

    def batch_load(self, keys):
        def pick(account_lists):
            found = {
                (account.user_id, account.currency): account
                for accounts in account_lists
                for account in accounts
            }
            return [found.get(key) for key in keys]

        user_ids = sorted({user_id for user_id, _ in keys})
        return (
            StoreCreditAccountsByUserIdLoader(self.context)
            .load_many(user_ids)
            .then(pick)
        )


class CustomerTypeSlugByUserIdLoader(DataLoader[int, str | None]):
    """The slug of each customer's CustomerType (the `customer_types` rule)."""

    context_key = "storecredit_customer_type_slug_by_user_id"

    def batch_load(self, keys):
        slugs = dict(
            get_user_model()
            .objects.using(self.database_connection_name)
            .filter(pk__in=keys)
            .values_list("pk", "customer_type__slug")
        )
        return [slugs.get(key) for key in keys]


class GiftCardBalanceByCheckoutIdLoader(DataLoader[object, Decimal]):
    """What the active gift cards on each checkout pay (as Saleor counts it)."""

    context_key = "storecredit_gift_card_balance_by_checkout_id"

    def batch_load(self, keys):
        from saleor.giftcard.models import GiftCard

        totals = dict(
            GiftCard.objects.using(self.database_connection_name)
            .active(date=timezone.now().date())
            .filter(checkouts__in=keys)
            .values_list("checkouts")
            .annotate(total=Sum("current_balance_amount"))
            .values_list("checkouts", "total")
        )
        return [totals.get(key) or Decimal(0) for key in keys]


@dataclass(frozen=True)
class OrderCredit:
    """Store credit of one order, from the ledger entries about it."""

    paid: Decimal
    refunded: Decimal
    refundable: Decimal


_SPENT = {EntryKind.DEBIT, EntryKind.CAPTURE}
# Credit given back for an order: refunds of its credit payment, and credit
# the gateway gives for it (returns, refund-to-credit statuses).
_GIVEN_BACK_REASONS = {Reason.REFUND, Reason.ORDER_CANCELLATION, Reason.ORDER_RETURN}


class StoreCreditByOrderIdLoader(DataLoader[object, OrderCredit]):
    """Per order: credit that paid it, credit given back for it, credit payment
    still refundable. Entries are found by the order and by the order's
    store-credit payments and transaction items (a payment is debited before
    its order exists). Three queries per batch."""

    context_key = "storecredit_by_order_id"

    def batch_load(self, keys):
        from saleor.payment.models import Payment, TransactionItem

        from ..config import PLUGIN_ID

        using = self.database_connection_name
        order_by_payment = dict(
            Payment.objects.using(using)
            .filter(order_id__in=keys, gateway=PLUGIN_ID)
            .values_list("pk", "order_id")
        )
        order_by_item = dict(
            TransactionItem.objects.using(using)
            .filter(order_id__in=keys, app_identifier=PLUGIN_ID)
            .values_list("token", "order_id")
        )
        entries = (
            StoreCreditEntry.objects.using(using)
            .filter(
                Q(order_id__in=keys)
                | Q(payment_id__in=list(order_by_payment))
                | Q(transaction_id__in=list(order_by_item))
            )
            .values_list(
                "order_id",
                "payment_id",
                "transaction_id",
                "kind",
                "reason",
                "amount",
                "reversed_entry__kind",
                "reversed_entry__reason",
            )
        )
        spent = defaultdict(Decimal)
        refunds = defaultdict(Decimal)  # of the credit payment (ledger refunds)
        given_back = defaultdict(Decimal)
        for (
            order_id,
            payment_id,
            transaction_id,
            kind,
            reason,
            amount,
            reversed_kind,
            reversed_reason,
        ) in entries:
            order_id = (
                order_id
                or order_by_payment.get(payment_id)
                or order_by_item.get(transaction_id)
            )
            if kind == EntryKind.REVERSAL:
                kind, reason = reversed_kind, reversed_reason
            if kind in _SPENT:
                spent[order_id] -= amount
            elif kind == EntryKind.REFUND:
                refunds[order_id] += amount
                given_back[order_id] += amount
            elif kind == EntryKind.CREDIT and reason in _GIVEN_BACK_REASONS:
                given_back[order_id] += amount
        return [
            OrderCredit(
                paid=max(spent[key], Decimal(0)),
                refunded=max(given_back[key], Decimal(0)),
                refundable=max(spent[key] - refunds[key], Decimal(0)),
            )
            for key in keys
        ]


class OrderIdByPaymentReferenceLoader(DataLoader[tuple, object]):
    """The order an entry paid for when it was booked before the order existed
    (Payment API and checkout debits): through the Saleor payment, transaction
    item or checkout the entry names. Three queries per batch at most."""

    context_key = "storecredit_order_id_by_payment_reference"

    def batch_load(self, keys):
        from saleor.order.models import Order
        from saleor.payment.models import Payment, TransactionItem

        using = self.database_connection_name
        payments = {k[0] for k in keys if k[0] is not None}
        items = {k[1] for k in keys if k[1] is not None}
        checkouts = {str(k[2]) for k in keys if k[2] is not None}
        by_payment = dict(
            Payment.objects.using(using)
            .filter(pk__in=payments, order_id__isnull=False)
            .values_list("pk", "order_id")
        )
        by_item = dict(
            TransactionItem.objects.using(using)
            .filter(token__in=items, order_id__isnull=False)
            .values_list("token", "order_id")
        )
        by_checkout = {}
        if checkouts:
            by_checkout = dict(
                Order.objects.using(using)
                .filter(checkout_token__in=checkouts)
                .values_list("checkout_token", "id")
            )
        return [
            by_payment.get(payment)
            or by_item.get(item)
            or (by_checkout.get(str(checkout)) if checkout else None)
            for payment, item, checkout in keys
        ]


@dataclass(frozen=True)
class EntryPage:
    """One page of account histories as the nested `transactions` asks for
    it: `entries(account_ids)` gives the caller's filtered entries of those
    accounts; the rest is the keyset page (newest first, cursors are the pk)."""

    entries: Callable
    first: int | None
    last: int | None
    after: int | None
    before: int | None


class EntryPagesByAccountIdLoader(DataLoader[tuple[int, str], list]):
    """The entries of one history page per account, for every account of a
    list in one query (a window per account), plus one row more than asked
    (whether a next page exists). Keys are (account id, page key); the page
    behind a key is registered in `pages` by the resolver first."""

    context_key = "storecredit_entry_pages_by_account_id"

    def __init__(self, context):
        super().__init__(context)
        self.pages: dict[str, EntryPage] = getattr(self, "pages", {})

    def batch_load(self, keys):
        by_page = defaultdict(list)
        for account_id, page_key in keys:
            by_page[page_key].append(account_id)
        found = {}
        for page_key, account_ids in by_page.items():
            page = self.pages[page_key]
            size = page.first or page.last
            entries = page.entries(account_ids)
            if page.after is not None:
                entries = entries.filter(pk__lt=page.after)
            if page.before is not None:
                entries = entries.filter(pk__gt=page.before)
            order = F("pk").asc() if page.last else F("pk").desc()
            rows = (
                entries.annotate(
                    row=Window(
                        RowNumber(), partition_by=[F("account_id")], order_by=order
                    )
                )
                .filter(row__lte=size + 1)
                .order_by("account_id", order)
            )
            for entry in rows:
                found.setdefault((entry.account_id, page_key), []).append(entry)
        return [found.get(key, []) for key in keys]


class EntryCountByAccountIdLoader(DataLoader[tuple[int, str], int]):
    """`totalCount` of the nested `transactions`: one grouped count per page."""

    context_key = "storecredit_entry_count_by_account_id"

    def batch_load(self, keys):
        pages = EntryPagesByAccountIdLoader(self.context).pages
        by_page = defaultdict(list)
        for account_id, page_key in keys:
            by_page[page_key].append(account_id)
        found = {}
        for page_key, account_ids in by_page.items():
            counts = (
                pages[page_key]
                .entries(account_ids)
                .order_by()
                .values("account_id")
                .annotate(total=Count("pk"))
                .values_list("account_id", "total")
            )
            for account_id, total in counts:
                found[account_id, page_key] = total
        return [found.get(key, 0) for key in keys]
