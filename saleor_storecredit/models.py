"""Store-credit ledger: accounts, credit lots, holds, append-only entries.

Saleor objects (orders, checkouts, payments, transaction items, gift cards, apps,
staff) are referenced by typed identifier columns, never foreign keys, so that
deleting them in Saleor never touches money already recorded here.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from .money import DECIMAL_PLACES, MAX_DIGITS

# The ledger's one limit for stored free text (ledger/validation.py).
MAX_TEXT_LENGTH = 1000


def _text_limit(field: str, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=LessThanOrEqual(Length(field), MAX_TEXT_LENGTH), name=name
    )


def _money_field(**kwargs):
    return models.DecimalField(
        max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, **kwargs
    )


class AccountStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ON_HOLD = "on_hold", "On hold"


class LotKind(models.TextChoices):
    STORE_CREDIT = "store_credit", "Store credit"
    REFUND = "refund", "Refund"
    RETURN = "return", "Return"
    GIFT_CARD = "gift_card", "Gift card"
    TOP_UP = "top_up", "Top-up"
    BONUS = "bonus", "Bonus"
    ADJUSTMENT = "adjustment", "Adjustment"
    CASHBACK = "cashback", "Cashback or reward"
    APP = "app", "App reward"
    # Lots received by transfer before 0011 (a transfer now keeps the kind).
    TRANSFER = "transfer", "Transfer"


class LotSource(models.TextChoices):
    """What created a lot; `source_id` names it (order, gift card, app, ...)."""

    TOP_UP = "top_up", "Top-up bought"
    BONUS = "bonus", "Top-up bonus"
    ORDER_REFUND = "order_refund", "Order refunded to credit"
    GIFT_CARD = "gift_card", "Gift card redeemed"
    TRANSFER = "transfer", "Received by transfer"
    STAFF = "staff", "Staff"
    BULK_JOB = "bulk_job", "Bulk job"
    IMPORT = "import", "Import"
    APP = "app", "App"
    SYSTEM = "system", "System"
    # Lots older than 0011 whose entries do not tell where they came from.
    UNKNOWN = "unknown", "Unknown"


class EntryKind(models.TextChoices):
    CREDIT = "credit", "Credit"
    DEBIT = "debit", "Debit"
    AUTHORIZATION = "authorization", "Authorization"
    CAPTURE = "capture", "Capture"
    RELEASE = "release", "Release"
    REFUND = "refund", "Refund"
    EXPIRY = "expiry", "Expiry"
    REVERSAL = "reversal", "Reversal"
    # Credit owed back because the money that bought it went back: taken from
    # the lots (`amount`), and what could not be taken recorded as owed
    # (`owed_change`); later credit settles the debt (negative owed_change).
    CLAWBACK = "clawback", "Clawback"


class Reason(models.TextChoices):
    """Why money moved. Stored as plain text so integrations may add their own."""

    MANUAL = "manual", "Manual"
    PAYMENT = "payment", "Payment"
    REFUND = "refund", "Refund"
    ADJUSTMENT = "adjustment", "Adjustment"
    GIFT_CARD = "gift_card", "Gift card"
    TOP_UP = "top_up", "Top-up"
    BONUS = "bonus", "Bonus"
    EXPIRY = "expiry", "Expiry"
    TRANSFER = "transfer", "Transfer"
    WITHDRAWAL = "withdrawal", "Withdrawal"
    ORDER_CANCELLATION = "order_cancellation", "Order cancellation"
    ORDER_RETURN = "order_return", "Order return"
    IMPORT = "import", "Import"
    CLAWBACK = "clawback", "Credit owed back"
    APP_REWARD = "app_reward", "App reward"


class ActorType(models.TextChoices):
    STAFF = "staff", "Staff"
    APP = "app", "App"
    CUSTOMER = "customer", "Customer"
    SYSTEM = "system", "System"


class HoldStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    CAPTURED = "captured", "Captured"
    RELEASED = "released", "Released"


class WithdrawalStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    PAID = "paid", "Paid"
    CANCELED = "canceled", "Canceled"


class StoreCreditAccount(models.Model):
    """One customer's credit in one currency; balance and held are caches of entries."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="store_credit_accounts",
    )
    email = models.EmailField(max_length=254, blank=True, default="")
    currency = models.CharField(max_length=3)
    balance = _money_field(default=Decimal(0))
    held = _money_field(default=Decimal(0))
    # Credit the customer owes back (a clawback that found too little); a cache
    # of the entries' owed_change. Blocks withdrawals and transfers.
    owed = _money_field(default=Decimal(0), db_default=Decimal(0))
    status = models.CharField(
        max_length=16, choices=AccountStatus.choices, default=AccountStatus.ACTIVE
    )
    # None: the shop's eligibility rules decide; True/False: staff decided.
    can_use = models.BooleanField(null=True, blank=True, default=None)
    note = models.TextField(blank=True, default="")
    # How many entries the account has: verify notices a history that lost rows.
    entry_count = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ("pk",)
        constraints = [
            models.UniqueConstraint(
                fields=["user", "currency"],
                condition=Q(user__isnull=False),
                name="storecredit_account_user_currency_unique",
            ),
            models.CheckConstraint(
                condition=Q(balance__gte=0), name="storecredit_account_balance_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(held__gte=0), name="storecredit_account_held_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(held__lte=F("balance")),
                name="storecredit_account_held_lte_balance",
            ),
            models.CheckConstraint(
                condition=Q(owed__gte=0), name="storecredit_account_owed_gte_0"
            ),
            _text_limit("note", "storecredit_account_note_length"),
        ]
        indexes = [models.Index(fields=["email"], name="storecredit_account_email")]

    def __str__(self):
        return f"{self.email or self.user_id} {self.currency} {self.balance}"

    @property
    def available(self) -> Decimal:
        return self.balance - self.held

    @property
    def is_on_hold(self) -> bool:
        return self.status == AccountStatus.ON_HOLD


class StoreCreditLot(models.Model):
    """A parcel of credit with its own kind, expiry and source; debits drain
    lots in the shop's spending order, holds reserve parts of them.

    What a lot may do (pay, be withdrawn, be sent) follows from its kind
    (ledger/rules.py); where it came from is its source. Credit given back
    for a payment goes back into the lots the payment took, so it keeps all
    of these.
    """

    account = models.ForeignKey(
        StoreCreditAccount, on_delete=models.PROTECT, related_name="lots"
    )
    kind = models.CharField(max_length=32, choices=LotKind.choices)
    original_amount = _money_field()
    remaining_amount = _money_field()
    # The part of remaining_amount reserved by open holds (sum of movements).
    held_amount = _money_field(default=Decimal(0), db_default=Decimal(0))
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expiry_reminder_sent_at = models.DateTimeField(null=True, blank=True)
    # Provenance: what created the lot and its identifier there (an order,
    # gift card, app, staff member, bulk job, import row, sending account).
    source = models.CharField(
        max_length=32,
        choices=LotSource.choices,
        default=LotSource.UNKNOWN,
        db_default=LotSource.UNKNOWN,
    )
    source_id = models.CharField(max_length=64, blank=True, default="", db_default="")
    # The order whose payment bought the lot (top-ups, bonus, refunds to
    # credit): its refund takes the lot back first.
    order_id = models.UUIDField(null=True, blank=True)
    # Received by transfer: the sender's lot it came from.
    origin_lot = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transferred_lots",
    )
    # Bought with money the shop received (card, bank), not given by the shop.
    cash_backed = models.BooleanField(default=False, db_default=False)

    class Meta:
        ordering = ("pk",)
        constraints = [
            models.CheckConstraint(
                condition=Q(remaining_amount__gte=0)
                & Q(remaining_amount__lte=F("original_amount")),
                name="storecredit_lot_remaining_in_range",
            ),
            models.CheckConstraint(
                condition=Q(held_amount__gte=0)
                & Q(held_amount__lte=F("remaining_amount")),
                name="storecredit_lot_held_in_range",
            ),
        ]
        indexes = [
            models.Index(
                fields=["account", "expires_at", "created_at"],
                condition=Q(remaining_amount__gt=0),
                name="storecredit_lot_unspent",
            ),
            models.Index(
                fields=["expires_at"],
                condition=Q(remaining_amount__gt=0, expires_at__isnull=False),
                name="storecredit_lot_expiring",
            ),
            models.Index(
                fields=["order_id"],
                condition=Q(order_id__isnull=False),
                name="storecredit_lot_order",
            ),
        ]

    @property
    def free_amount(self) -> Decimal:
        return self.remaining_amount - self.held_amount


class StoreCreditHold(models.Model):
    """Credit authorized for a payment or withdrawal: reserved, not yet taken."""

    account = models.ForeignKey(
        StoreCreditAccount, on_delete=models.PROTECT, related_name="holds"
    )
    amount = _money_field()
    captured_amount = _money_field(default=Decimal(0))
    released_amount = _money_field(default=Decimal(0))
    status = models.CharField(
        max_length=16, choices=HoldStatus.choices, default=HoldStatus.ACTIVE
    )
    reason = models.CharField(max_length=64)
    order_id = models.UUIDField(null=True, blank=True, db_index=True)
    checkout_id = models.UUIDField(null=True, blank=True, db_index=True)
    payment_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    transaction_id = models.UUIDField(null=True, blank=True, db_index=True)
    # The hold's deadline: a checkout's hold still open then is released, so
    # credit past its expiry is not kept alive by a checkout that never ends.
    # Null: no deadline (withdrawals, credit that never expires).
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("pk",)
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0)
                & Q(captured_amount__gte=0)
                & Q(released_amount__gte=0)
                & Q(amount__gte=F("captured_amount") + F("released_amount")),
                name="storecredit_hold_amounts_in_range",
            ),
        ]
        indexes = [
            models.Index(
                fields=["account"],
                condition=Q(status="active"),
                name="storecredit_hold_active",
            ),
            models.Index(
                fields=["expires_at"],
                condition=Q(status="active", expires_at__isnull=False),
                name="storecredit_hold_deadline",
            ),
        ]

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.captured_amount - self.released_amount

    @property
    def currency(self) -> str:
        return self.account.currency


class StoreCreditWithdrawal(models.Model):
    """A customer's request to be paid out; its amount stays held until settled."""

    account = models.ForeignKey(
        StoreCreditAccount, on_delete=models.PROTECT, related_name="withdrawals"
    )
    hold = models.OneToOneField(
        StoreCreditHold,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="withdrawal",
    )
    amount = _money_field()
    status = models.CharField(
        max_length=16,
        choices=WithdrawalStatus.choices,
        default=WithdrawalStatus.PENDING,
        db_index=True,
    )
    customer_note = models.TextField(blank=True, default="")
    staff_note = models.TextField(blank=True, default="")
    processed_by_user_id = models.BigIntegerField(null=True, blank=True)
    processed_by_app_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-pk",)
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="storecredit_withdrawal_amount_gt_0"
            ),
            _text_limit("customer_note", "storecredit_withdrawal_customer_note_length"),
            _text_limit("staff_note", "storecredit_withdrawal_staff_note_length"),
        ]


class StoreCreditEntry(models.Model):
    """One movement of credit. Never updated or deleted (a database trigger refuses).

    `amount` is the signed change of the balance and `held_change` the signed
    change of the held amount, so both caches on the account are sums of entries.
    """

    account = models.ForeignKey(
        StoreCreditAccount, on_delete=models.PROTECT, related_name="entries"
    )
    kind = models.CharField(max_length=32, choices=EntryKind.choices)
    reason = models.CharField(max_length=64)
    amount = _money_field()
    held_change = _money_field(default=Decimal(0))
    balance_after = _money_field()
    held_after = _money_field(default=Decimal(0))
    # Signed change of what the customer owes back (clawbacks and settlements).
    owed_change = _money_field(default=Decimal(0), db_default=Decimal(0))
    lot = models.ForeignKey(
        StoreCreditLot,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
    )
    hold = models.ForeignKey(
        StoreCreditHold,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
    )
    withdrawal = models.ForeignKey(
        StoreCreditWithdrawal,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
    )
    reversed_entry = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversal",
    )
    order_id = models.UUIDField(null=True, blank=True)
    checkout_id = models.UUIDField(null=True, blank=True)
    payment_id = models.BigIntegerField(null=True, blank=True)
    transaction_id = models.UUIDField(null=True, blank=True)
    gift_card_id = models.BigIntegerField(null=True, blank=True)
    customer_note = models.TextField(blank=True, default="")
    internal_note = models.TextField(blank=True, default="")
    actor_type = models.CharField(
        max_length=16, choices=ActorType.choices, default=ActorType.SYSTEM
    )
    actor_user_id = models.BigIntegerField(null=True, blank=True)
    actor_app_id = models.BigIntegerField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-pk",)
        constraints = [
            models.UniqueConstraint(
                fields=["account", "idempotency_key"],
                name="storecredit_entry_idempotency_key_unique",
            ),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0) & Q(held_after__gte=0),
                name="storecredit_entry_after_gte_0",
            ),
            _text_limit("customer_note", "storecredit_entry_customer_note_length"),
            _text_limit("internal_note", "storecredit_entry_internal_note_length"),
        ]
        indexes = [
            models.Index(fields=["account", "-id"], name="storecredit_entry_history"),
            models.Index(fields=["created_at"], name="storecredit_entry_created"),
            models.Index(
                fields=["order_id"],
                condition=Q(order_id__isnull=False),
                name="storecredit_entry_order",
            ),
            models.Index(
                fields=["transaction_id"],
                condition=Q(transaction_id__isnull=False),
                name="storecredit_entry_transaction",
            ),
            models.Index(
                fields=["payment_id"],
                condition=Q(payment_id__isnull=False),
                name="storecredit_entry_payment",
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.amount} ({self.reason})"

    @property
    def currency(self) -> str:
        return self.account.currency


class StoreCreditLotMovement(models.Model):
    """What one entry put into or took from one lot. Never updated or deleted.

    A lot's remaining amount is the sum of its movements, and an entry's amount
    the sum of its own: every lot can be recomputed from the ledger.
    """

    entry = models.ForeignKey(
        StoreCreditEntry, on_delete=models.PROTECT, related_name="lot_movements"
    )
    lot = models.ForeignKey(
        StoreCreditLot, on_delete=models.PROTECT, related_name="movements"
    )
    amount = _money_field()
    # What the entry reserved (+) or freed (-) of the lot for its hold.
    held_change = _money_field(default=Decimal(0), db_default=Decimal(0))
    # The lot's expiry when it moved: a changed expiry shows in verify.
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("pk",)
        indexes = [
            models.Index(fields=["lot"], name="storecredit_movement_lot"),
            models.Index(fields=["entry"], name="storecredit_movement_entry"),
        ]


class AccountEventType(models.TextChoices):
    # Written by the database when the account is inserted (migration 0007):
    # whose it is and its currency, as the account was opened.
    OPENED = "opened", "Opened"
    STATUS_CHANGED = "status_changed", "Status changed"
    CAN_USE_CHANGED = "can_use_changed", "Use allowed or refused"
    NOTE_CHANGED = "note_changed", "Staff note changed"


class StoreCreditAccountEvent(models.Model):
    """Who changed an account's status, permission or note, and when (append-only).

    Each account's first event says whom it was opened for and in which
    currency; its status, use and note are always those of its last event of
    each type (or the defaults), which verify checks.
    """

    account = models.ForeignKey(
        StoreCreditAccount, on_delete=models.PROTECT, related_name="events"
    )
    type = models.CharField(max_length=32, choices=AccountEventType.choices)
    old_value = models.TextField(blank=True, default="")
    new_value = models.TextField(blank=True, default="")
    actor_type = models.CharField(
        max_length=16, choices=ActorType.choices, default=ActorType.SYSTEM
    )
    actor_user_id = models.BigIntegerField(null=True, blank=True)
    actor_app_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # OPENED events only: the owner (a plain id: deleting the customer leaves
    # this record as it was) and the currency the account was opened with.
    user_id = models.BigIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True, default="")

    class Meta:
        ordering = ("-pk",)
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(type="opened"),
                name="storecredit_acc_event_opened_once",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "-id"], name="storecredit_acc_event_hist")
        ]


class StoreCreditWithdrawalEvent(models.Model):
    """A withdrawal as it stood after each step: request, approval, payment,
    rejection, cancellation (append-only, written by ledger.record_withdrawal).

    Verify compares every withdrawal with its last record, and its hold.
    """

    withdrawal = models.ForeignKey(
        StoreCreditWithdrawal, on_delete=models.PROTECT, related_name="events"
    )
    account = models.ForeignKey(
        StoreCreditAccount,
        on_delete=models.PROTECT,
        related_name="withdrawal_events",
        db_index=False,
    )
    hold = models.ForeignKey(
        StoreCreditHold,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="withdrawal_events",
        db_index=False,
    )
    amount = _money_field()
    status = models.CharField(max_length=16, choices=WithdrawalStatus.choices)
    actor_type = models.CharField(
        max_length=16, choices=ActorType.choices, default=ActorType.SYSTEM
    )
    actor_user_id = models.BigIntegerField(null=True, blank=True)
    actor_app_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("pk",)


class StoreCreditCheckpoint(models.Model):
    """What a clean verify saw: later runs prove no row it counted went missing.

    No foreign keys, so a cascade from the ledger's tables never reaches it.
    """

    created_at = models.DateTimeField(default=timezone.now)
    last_entry_id = models.BigIntegerField()
    entries = models.BigIntegerField()
    last_account_id = models.BigIntegerField()
    accounts = models.BigIntegerField()
    last_movement_id = models.BigIntegerField()
    movements = models.BigIntegerField()
    last_lot_id = models.BigIntegerField(default=0)
    # Fingerprints of the rows counted (see ledger/verification.py): a row
    # rewritten later, however consistently across tables, changes them.
    entries_digest = models.CharField(max_length=64, blank=True, default="")
    movements_digest = models.CharField(max_length=64, blank=True, default="")
    lots_digest = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ("-pk",)


class BulkJobStatus(models.TextChoices):
    # Above the approval threshold: waits for a second staff member; no worker
    # runs it until then.
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    CANCELED = "canceled", "Canceled"
    FAILED = "failed", "Failed"
    # Refused by a second staff member: nothing moved.
    REJECTED = "rejected", "Rejected"


class StoreCreditBulkJob(models.Model):
    """A credit or debit of a group of customers, run in chunks by a worker.

    A work record, not part of the ledger: the entries it wrote carry their own
    keys (keys.bulk), so the job's counters are a report, never the proof.
    Jobs are never deleted: they say who moved money to whom.
    """

    status = models.CharField(
        max_length=32, choices=BulkJobStatus.choices, default=BulkJobStatus.PENDING
    )
    # The caller's key in its stored form (keys.for_caller): one job per key.
    idempotency_key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    # The request.
    currency = models.CharField(max_length=3)
    amount = _money_field()  # per customer, signed: > 0 credits, < 0 debits
    reason = models.CharField(max_length=64)
    lot_kind = models.CharField(max_length=32, choices=LotKind.choices)
    expires_at = models.DateTimeField(null=True, blank=True)
    customer_note = models.TextField(blank=True, default="")
    internal_note = models.TextField(blank=True, default="")
    debit_mode = models.CharField(max_length=16)
    user_ids = models.JSONField(default=list, blank=True)
    customer_type_ids = models.JSONField(default=list, blank=True)
    emails = models.JSONField(default=list, blank=True)
    # Customers who sign up after the job started are not part of it.
    max_user_id = models.BigIntegerField(default=0)
    # Who started it.
    actor_type = models.CharField(
        max_length=16, choices=ActorType.choices, default=ActorType.SYSTEM
    )
    actor_user_id = models.BigIntegerField(null=True, blank=True)
    actor_app_id = models.BigIntegerField(null=True, blank=True)
    # A job above the approval threshold: the second staff member who let it
    # run (and the actor of every entry it writes), or who rejected it.
    approved_by_user_id = models.BigIntegerField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    rejected_by_user_id = models.BigIntegerField(null=True, blank=True)
    decision_note = models.TextField(blank=True, default="")
    # Progress.
    total = models.IntegerField(default=0)
    done = models.IntegerField(default=0)
    credited_count = models.IntegerField(default=0)
    debited_count = models.IntegerField(default=0)
    skipped_count = models.IntegerField(default=0)
    failed_count = models.IntegerField(default=0)
    total_amount = _money_field(default=Decimal(0))
    # The first failures (user_id, email, message); failed_count counts them all.
    failures = models.JSONField(default=list, blank=True)
    # Primary key of the last customer done: a resumed run starts after it.
    cursor = models.BigIntegerField(default=0)
    # The run that owns the job; a stale run's updates no longer match.
    lease = models.UUIDField(null=True, blank=True)
    # Runs in a row that stopped on an error (reset by progress).
    attempts = models.IntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    canceled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-pk",)
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_key"], name="storecredit_bulkjob_key_unique"
            ),
            _text_limit("decision_note", "storecredit_bulkjob_decision_note_len"),
        ]
        indexes = [
            models.Index(
                fields=["status", "updated_at"],
                condition=Q(status__in=["pending", "running"]),
                name="storecredit_bulkjob_open",
            )
        ]

    def __str__(self):
        return f"bulk job {self.pk} {self.status} {self.done}/{self.total}"

    @property
    def is_finished(self) -> bool:
        return self.status in (
            BulkJobStatus.COMPLETED,
            BulkJobStatus.CANCELED,
            BulkJobStatus.FAILED,
            BulkJobStatus.REJECTED,
        )

    @property
    def is_awaiting_approval(self) -> bool:
        return self.status == BulkJobStatus.AWAITING_APPROVAL


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CANCELED = "canceled", "Canceled"


class StoreCreditAdjustmentApproval(models.Model):
    """A staff adjustment above the shop's approval threshold, waiting for a
    second staff member (maker-checker). Not part of the ledger: no money moves
    until it is approved; then `entry` is the one adjustment it made.
    Never deleted: it says who asked and who decided.
    """

    status = models.CharField(
        max_length=16,
        choices=ApprovalStatus.choices,
        default=ApprovalStatus.PENDING,
        db_index=True,
    )
    # The customer; kept when they are deleted, so it still says whose it was.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The request, as `ledger.adjust` will get it.
    currency = models.CharField(max_length=3)
    amount = _money_field()  # signed: > 0 credits, < 0 debits
    reason = models.CharField(max_length=64)
    lot_kind = models.CharField(max_length=32, choices=LotKind.choices)
    expires_at = models.DateTimeField(null=True, blank=True)
    # An expiry given as a period (`expiry_days`) counts from the approval.
    expires_after_days = models.IntegerField(null=True, blank=True)
    customer_note = models.TextField(blank=True, default="")
    internal_note = models.TextField(blank=True, default="")
    # The maker's key in its stored form (keys.for_caller) and the request's
    # fingerprint: a retry returns this approval, another request is refused.
    idempotency_key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    # Who asked (the maker).
    actor_type = models.CharField(
        max_length=16, choices=ActorType.choices, default=ActorType.SYSTEM
    )
    actor_user_id = models.BigIntegerField(null=True, blank=True)
    actor_app_id = models.BigIntegerField(null=True, blank=True)
    # Who decided (the checker); the maker canceling their own request too.
    decided_by_user_id = models.BigIntegerField(null=True, blank=True)
    decision_note = models.TextField(blank=True, default="")
    entry = models.OneToOneField(
        StoreCreditEntry,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="approval",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-pk",)
        constraints = [
            models.UniqueConstraint(
                fields=["user", "currency", "idempotency_key"],
                name="storecredit_approval_key_unique",
            ),
            models.CheckConstraint(
                condition=~Q(amount=0), name="storecredit_approval_amount_not_0"
            ),
            # Approved exactly when it made its adjustment.
            models.CheckConstraint(
                condition=Q(status="approved", entry__isnull=False)
                | (~Q(status="approved") & Q(entry__isnull=True)),
                name="storecredit_approval_entry_iff_approved",
            ),
            _text_limit("customer_note", "storecredit_approval_customer_note_len"),
            _text_limit("internal_note", "storecredit_approval_internal_note_len"),
            _text_limit("decision_note", "storecredit_approval_decision_note_len"),
        ]

    def __str__(self):
        return f"approval {self.pk} {self.status} {self.amount} {self.currency}"

    @property
    def is_pending(self) -> bool:
        return self.status == ApprovalStatus.PENDING
