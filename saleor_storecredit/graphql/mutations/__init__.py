from .store_credit_account_update import StoreCreditAccountUpdate
from .store_credit_adjust import StoreCreditAdjust
from .store_credit_adjustment_approve import StoreCreditAdjustmentApprove
from .store_credit_adjustment_reject import StoreCreditAdjustmentReject
from .store_credit_app_reward import StoreCreditAppReward
from .store_credit_app_reward_reverse import StoreCreditAppRewardReverse
from .store_credit_bulk_adjust import StoreCreditBulkAdjust
from .store_credit_bulk_job_approve import StoreCreditBulkJobApprove
from .store_credit_bulk_job_cancel import StoreCreditBulkJobCancel
from .store_credit_bulk_job_reject import StoreCreditBulkJobReject
from .store_credit_redeem_gift_card import StoreCreditRedeemGiftCard
from .store_credit_transfer import StoreCreditTransfer
from .store_credit_withdrawal_cancel import StoreCreditWithdrawalCancel
from .store_credit_withdrawal_process import StoreCreditWithdrawalProcess
from .store_credit_withdrawal_request import StoreCreditWithdrawalRequest

__all__ = [
    "StoreCreditAccountUpdate",
    "StoreCreditAdjust",
    "StoreCreditAdjustmentApprove",
    "StoreCreditAdjustmentReject",
    "StoreCreditAppReward",
    "StoreCreditAppRewardReverse",
    "StoreCreditBulkAdjust",
    "StoreCreditBulkJobApprove",
    "StoreCreditBulkJobCancel",
    "StoreCreditBulkJobReject",
    "StoreCreditRedeemGiftCard",
    "StoreCreditTransfer",
    "StoreCreditWithdrawalCancel",
    "StoreCreditWithdrawalProcess",
    "StoreCreditWithdrawalRequest",
]
