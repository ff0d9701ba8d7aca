from saleor.graphql.core.types import BaseEnum, SortInputObjectType

from .utils import DOC_CATEGORY_STORE_CREDIT


class StoreCreditAccountSortField(BaseEnum):
    BALANCE = ["balance", "pk"]
    UPDATED_AT = ["updated_at", "pk"]
    EMAIL = ["email", "pk"]

    class Meta:
        description = "Fields store-credit accounts can be sorted by."
        doc_category = DOC_CATEGORY_STORE_CREDIT

    @property
    def description(self):
        return f"Sort accounts by {self.name.lower().replace('_', ' ')}."


class StoreCreditAccountSortingInput(SortInputObjectType):
    class Meta:
        doc_category = DOC_CATEGORY_STORE_CREDIT
        sort_enum = StoreCreditAccountSortField
        type_name = "store-credit accounts"
