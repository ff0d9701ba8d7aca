from saleor.graphql.core.types import Error

from .enums import StoreCreditErrorCode
from .utils import DOC_CATEGORY_STORE_CREDIT


class StoreCreditErrorType(Error):
    code = StoreCreditErrorCode(description="The error code.", required=True)

    class Meta:
        name = "StoreCreditError"
        description = "Why a store-credit mutation was refused, and which input."
        doc_category = DOC_CATEGORY_STORE_CREDIT
