"""What every store-credit mutation shares: the error type, the caller, and
turning ledger refusals into `errors { field message code }`."""

from saleor.core.exceptions import PermissionDenied
from saleor.graphql.core import ResolveInfo
from saleor.graphql.core.mutations import BaseMutation

from ...error_codes import StoreCreditErrorCode
from ...exceptions import NotFound, StoreCreditError
from ...models import StoreCreditAdjustmentApproval, StoreCreditBulkJob
from ..errors import StoreCreditErrorType
from ..filters import approval_pk_or_error
from ..utils import (
    APP_REWARD_DESCRIPTION,
    APP_REWARD_PERMISSIONS,
    DOC_CATEGORY_STORE_CREDIT,
    MANAGER_DESCRIPTION,
    MANAGER_PERMISSIONS,
    Requestor,
    get_requestor,
    require_currency_access,
    to_validation_error,
)


class StoreCreditMutation(BaseMutation):
    """Ledger refusals (StoreCreditError) become coded errors, never a 500."""

    class Meta:
        abstract = True

    @classmethod
    def __init_subclass_with_meta__(cls, **options):
        options.setdefault("error_type_class", StoreCreditErrorType)
        options.setdefault("doc_category", DOC_CATEGORY_STORE_CREDIT)
        super().__init_subclass_with_meta__(**options)

    @classmethod
    def perform_mutation(cls, _root, info: ResolveInfo, /, **data):
        try:
            return cls.run(info, get_requestor(info), **data)
        except StoreCreditError as error:
            raise to_validation_error(error) from error

    @classmethod
    def get_node_or_error(cls, info, node_id, *, field="id", only_type=None, **kw):
        """Saleor's lookup, for IDs that can name a row: an empty ID, or one whose
        key has the wrong form (a UUID for an integer key), is NOT_FOUND on the
        field instead of a crash."""
        missing = NotFound(f"Couldn't resolve to a {only_type}: {node_id}", field=field)
        if not node_id:
            raise missing
        try:
            node = super().get_node_or_error(
                info, node_id, field=field, only_type=only_type, **kw
            )
        except (ValueError, OverflowError):
            raise missing from None
        if node is None:
            raise missing
        return node

    @classmethod
    def run(cls, info: ResolveInfo, requestor: Requestor, **data):
        raise NotImplementedError


class StoreCreditStaffMutation(StoreCreditMutation):
    """Staff need MANAGE_USERS; apps MANAGE_USERS or HANDLE_PAYMENTS."""

    class Meta:
        abstract = True

    @classmethod
    def __init_subclass_with_meta__(cls, description=None, **options):
        options.setdefault("permissions", MANAGER_PERMISSIONS)
        options.setdefault("auto_permission_message", False)
        super().__init_subclass_with_meta__(
            description=(description or "") + MANAGER_DESCRIPTION, **options
        )

    @classmethod
    def check_permissions(cls, context, permissions=None, **data):
        return get_requestor(context).is_manager


class StoreCreditAppMutation(StoreCreditMutation):
    """Apps only, with HANDLE_PAYMENTS: staff and customers are refused
    whatever their permissions (rewards name an app as their source)."""

    class Meta:
        abstract = True

    @classmethod
    def __init_subclass_with_meta__(cls, description=None, **options):
        options.setdefault("permissions", APP_REWARD_PERMISSIONS)
        options.setdefault("auto_permission_message", False)
        super().__init_subclass_with_meta__(
            description=(description or "") + APP_REWARD_DESCRIPTION, **options
        )

    @classmethod
    def check_permissions(cls, context, permissions=None, **data):
        if not get_requestor(context).is_rewarding_app:
            raise PermissionDenied(
                "Only apps with HANDLE_PAYMENTS give app rewards.",
                permissions=list(APP_REWARD_PERMISSIONS),
            )
        return True


def approval_for_decision(mutation, requestor: Requestor, global_id: str) -> int:
    """The approval's pk, once the caller may manage its currency."""
    pk = approval_pk_or_error(mutation, global_id)
    currency = (
        StoreCreditAdjustmentApproval.objects.filter(pk=pk)
        .values_list("currency", flat=True)
        .first()
    )
    if currency is not None:
        require_currency_access(requestor, currency, field="id")
    return pk


def bulk_job_for_decision(mutation, requestor: Requestor, global_id: str) -> int:
    """The bulk job's pk, once the caller may manage its currency; an ID no
    job has is BULK_JOB_NOT_FOUND."""
    (pk,) = mutation.get_global_ids_or_error([global_id], "StoreCreditBulkJob", "id")
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        pk = None
    currency = (
        StoreCreditBulkJob.objects.filter(pk=pk)
        .values_list("currency", flat=True)
        .first()
        if pk is not None and 0 < pk < 2**63
        else None
    )
    if currency is None:
        raise NotFound(
            "Bulk job not found.",
            code=StoreCreditErrorCode.BULK_JOB_NOT_FOUND,
            field="id",
        )
    require_currency_access(requestor, currency, field="id")
    return pk
