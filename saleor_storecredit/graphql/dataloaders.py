"""Batch loaders so lists of accounts, transactions and withdrawals cost a fixed
number of queries, however long the page."""

from collections import defaultdict

from django.db.models import F
from saleor.graphql.core.dataloaders import DataLoader

from ..models import StoreCreditAccount, StoreCreditLot


class StoreCreditAccountByIdLoader(DataLoader[int, StoreCreditAccount]):
    context_key = "storecredit_account_by_id"

    def batch_load(self, keys):
        accounts = StoreCreditAccount.objects.using(
            self.database_connection_name
        ).in_bulk(keys)
        return [accounts.get(key) for key in keys]


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
