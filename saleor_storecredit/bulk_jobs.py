"""Crediting or debiting a group of customers of any size: bulk jobs.

`start_job` records what was asked, one job per caller key; `run_job` works
through the customers in primary-key order, a chunk at a time, each chunk in
short transactions of its own, and saves its progress and cursor after each
chunk. Every customer's entry has a key derived from the job's key
(keys.bulk), so a re-run, or a run after a worker died mid-chunk, writes nobody
twice and skips nobody. A debit never takes an account below zero: it takes
what is available or skips the account, as asked.

No Saleor imports: the core suite runs all of it; tasks.py schedules it.
"""

import bisect
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    F,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat, Lower
from django.utils import timezone

from . import bulk_job_approvals, ledger
from .actors import Actor
from .error_codes import StoreCreditErrorCode
from .exceptions import IdempotencyConflict, InsufficientFunds, StoreCreditError
from .ledger import keys, reads
from .ledger.rules import require_given_kind
from .ledger.validation import (
    ExpiresAfter,
    expiry_date,
    fingerprint,
    validate_actor,
    validate_expiry,
    validate_lot_kind,
    validate_notes,
    validate_reason,
)
from .models import (
    BulkJobStatus,
    LotKind,
    LotSource,
    Reason,
    StoreCreditAccount,
    StoreCreditBulkJob,
    StoreCreditEntry,
)
from .money import DECIMAL_PLACES, MAX_DIGITS, validate_amount, validate_currency

logger = logging.getLogger(__name__)

CHUNK_SIZE = 500
# The job keeps the first failures with their reasons; failed_count counts all.
MAX_FAILURES = 100
# A dry run counts and sums every customer but lists at most this many.
MAX_DRY_RUN_RESULTS = 1000
# A running job not updated for this long lost its worker: another may take it.
STALE_AFTER = timedelta(minutes=10)
# Runs in a row that end in an error before the job is marked failed.
MAX_FAILED_ATTEMPTS = 5

TAKE_AVAILABLE = "take_available"
SKIP = "skip"
DEBIT_MODES = (TAKE_AVAILABLE, SKIP)

CREDITED = "credited"
DEBITED = "debited"
SKIPPED = "skipped"
FAILED = "failed"

# Jobs a worker runs (or will).
OPEN_STATUSES = (BulkJobStatus.PENDING, BulkJobStatus.RUNNING)
# Jobs a cancel still stops: open ones and those waiting for approval.
CANCELABLE_STATUSES = (*OPEN_STATUSES, BulkJobStatus.AWAITING_APPROVAL)

# The credit kind (what `expiry_days` is configured by) of credit staff add
# without naming one: a hand-given credit is plain store credit.
LOT_KIND_BY_REASON = {
    Reason.MANUAL: LotKind.STORE_CREDIT,
    Reason.IMPORT: LotKind.STORE_CREDIT,
    Reason.ADJUSTMENT: LotKind.ADJUSTMENT,
    Reason.BONUS: LotKind.BONUS,
    # Credit given by hand is never money the customer paid (rules.MONEY_KINDS):
    # a "refund" or "top-up" staff give is an adjustment.
    Reason.TOP_UP: LotKind.ADJUSTMENT,
    Reason.REFUND: LotKind.ADJUSTMENT,
    Reason.ORDER_CANCELLATION: LotKind.ADJUSTMENT,
    Reason.ORDER_RETURN: LotKind.ADJUSTMENT,
}

_MONEY = DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)


def lot_kind_for(reason: str) -> str:
    return LOT_KIND_BY_REASON.get(reason, LotKind.ADJUSTMENT)


def status_for(change: Decimal) -> str:
    if change > 0:
        return CREDITED
    if change < 0:
        return DEBITED
    return SKIPPED


# --- what is asked -------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """Who a bulk adjustment is for: the union of the three lists."""

    user_ids: tuple[int, ...] = ()
    customer_type_ids: tuple[int, ...] = ()
    emails: tuple[str, ...] = ()

    @classmethod
    def of(cls, *, user_ids=(), customer_type_ids=(), emails=()) -> "Selection":
        return cls(
            user_ids=tuple(sorted({int(pk) for pk in user_ids})),
            customer_type_ids=tuple(sorted({int(pk) for pk in customer_type_ids})),
            emails=tuple(sorted({email.strip().lower() for email in emails})),
        )

    def customers(self):
        return select_customers(
            user_ids=self.user_ids,
            customer_type_ids=self.customer_type_ids,
            emails=self.emails,
        )


def select_customers(*, user_ids=(), customer_type_ids=(), emails=()):
    """Active customers in any of the three lists, by primary key: the one
    selection both the dry run and the job read. Staff are never customers of a
    bulk adjustment, whatever list names them; emails match whatever their case."""
    condition = Q(pk__in=list(user_ids)) if user_ids else Q(pk__in=[])
    if customer_type_ids:
        condition |= Q(customer_type_id__in=list(customer_type_ids))
    if emails:
        condition |= Q(email_lower__in=[email.strip().lower() for email in emails])
    return (
        get_user_model()
        .objects.alias(email_lower=Lower("email"))
        .filter(condition, is_active=True, is_staff=False)
        .order_by("pk")
    )


@dataclass(frozen=True)
class Request:
    """A validated bulk adjustment: what every customer gets."""

    currency: str
    amount: Decimal
    reason: str
    lot_kind: str
    expires_at: "datetime | ExpiresAfter | None"
    customer_note: str
    internal_note: str
    debit_mode: str
    actor: Actor

    def fingerprint(self, selection: Selection) -> str:
        return fingerprint(
            "bulk-job",
            currency=self.currency,
            amount=self.amount,
            reason=self.reason,
            kind=self.lot_kind,
            expires_at=self.expires_at,
            customer_note=self.customer_note,
            internal_note=self.internal_note,
            debit_mode=self.debit_mode,
            user_ids=list(selection.user_ids),
            customer_type_ids=list(selection.customer_type_ids),
            emails=list(selection.emails),
        )


def validate_request(
    amount,
    currency: str,
    *,
    reason: str = Reason.ADJUSTMENT,
    kind: str | None = None,
    internal_note: str = "",
    customer_note: str = "",
    expires_at: "datetime | ExpiresAfter | None" = None,
    debit_mode: str = TAKE_AVAILABLE,
    actor: Actor,
) -> Request:
    """Everything the ledger would refuse for every customer, refused up front."""
    currency = validate_currency(currency)
    amount = validate_amount(amount, currency, allow_negative=True)
    actor = validate_actor(actor)
    reason = validate_reason(reason)
    customer_note, internal_note = validate_notes(customer_note, internal_note)
    expires_at = validate_expiry(expires_at)
    if expires_at is not None and amount < 0:
        raise StoreCreditError(
            "Only credit can have an expiry.",
            code=StoreCreditErrorCode.INVALID_EXPIRY,
            field="expires_at",
        )
    if debit_mode not in DEBIT_MODES:
        raise StoreCreditError("Unknown debit mode.", field="debit_mode")
    return Request(
        currency=currency,
        amount=amount,
        reason=reason,
        lot_kind=(
            require_given_kind(validate_lot_kind(kind))
            if kind
            else lot_kind_for(reason)
        ),
        expires_at=expires_at,
        customer_note=customer_note,
        internal_note=internal_note,
        debit_mode=debit_mode,
        actor=actor,
    )


# --- dry run -------------------------------------------------------------------


@dataclass(frozen=True)
class DryRunItem:
    user_id: int
    email: str
    amount: Decimal  # signed change the job would make (or made, under this key)
    status: str


@dataclass
class DryRun:
    currency: str
    count: int
    changed_count: int
    skipped_count: int
    total_amount: Decimal
    items: list[DryRunItem] = field(default_factory=list)
    # Whether `items` lists only the first MAX_DRY_RUN_RESULTS customers.
    capped: bool = False


def dry_run(selection: Selection, request: Request, idempotency_key) -> DryRun:
    """What a job would do, from three set-based queries whatever the size:
    counts and totals over every customer, the first customers listed. Customers
    already adjusted under this key count with what they got."""
    key_prefix = keys.bulk(request.actor, idempotency_key, 0)[: -len("0")]
    customers = selection.customers()
    accounts = StoreCreditAccount.objects.filter(
        user_id=OuterRef("pk"), currency=request.currency
    )
    done = StoreCreditEntry.objects.filter(
        account__user_id=OuterRef("pk"),
        account__currency=request.currency,
        idempotency_key=Concat(
            Value(key_prefix),
            Cast(OuterRef("pk"), CharField()),
            output_field=CharField(),
        ),
    )
    amount = Value(request.amount, output_field=_MONEY)
    if request.amount > 0:
        planned = amount
    else:
        wanted = -request.amount
        available = F("available")
        customers = customers.annotate(
            available=Coalesce(
                Subquery(
                    accounts.annotate(free=reads.spendable_now()).values("free")[:1],
                    output_field=_MONEY,
                ),
                Value(Decimal(0), output_field=_MONEY),
            )
        )
        planned = Case(
            When(available__gte=wanted, then=amount),
            When(available__lte=0, then=Value(Decimal(0), output_field=_MONEY)),
            default=(
                Value(Decimal(0), output_field=_MONEY)
                if request.debit_mode == SKIP
                else -available
            ),
            output_field=_MONEY,
        )
    customers = customers.annotate(
        change=Coalesce(
            Subquery(done.values("amount")[:1], output_field=_MONEY), planned
        )
    )
    totals = customers.aggregate(
        count=Count("pk"),
        changed=Count("pk", filter=~Q(change=0)),
        total=Sum("change"),
    )
    rows = list(
        customers.values_list("pk", "email", "change")[: MAX_DRY_RUN_RESULTS + 1]
    )
    return DryRun(
        currency=request.currency,
        count=totals["count"],
        changed_count=totals["changed"],
        skipped_count=totals["count"] - totals["changed"],
        total_amount=totals["total"] or Decimal(0),
        items=[
            DryRunItem(
                user_id=pk, email=email, amount=change, status=status_for(change)
            )
            for pk, email, change in rows[:MAX_DRY_RUN_RESULTS]
        ],
        capped=len(rows) > MAX_DRY_RUN_RESULTS,
    )


# --- starting and canceling ----------------------------------------------------


def start_job(
    selection: Selection, request: Request, idempotency_key, *, settings=None
) -> tuple[StoreCreditBulkJob, bool]:
    """The job for this key: a new pending one - or one awaiting approval when
    its total is above the shop's threshold (bulk_job_approvals.py) - or the
    one the key started before (`created` False). The same key with other
    values is refused. `settings`: the shop's settings (default: as stored)."""
    key = keys.for_caller(request.actor, idempotency_key)
    request_hash = request.fingerprint(selection)
    existing = StoreCreditBulkJob.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return _same_request(existing, request_hash), False
    customers = selection.customers()
    total = customers.count()
    status = BulkJobStatus.PENDING
    if needs_approval(request, total, settings):
        status = BulkJobStatus.AWAITING_APPROVAL
    job = StoreCreditBulkJob(
        status=status,
        idempotency_key=key,
        request_hash=request_hash,
        currency=request.currency,
        amount=request.amount,
        reason=request.reason,
        lot_kind=request.lot_kind,
        expires_at=expiry_date(request.expires_at),
        customer_note=request.customer_note,
        internal_note=request.internal_note,
        debit_mode=request.debit_mode,
        user_ids=list(selection.user_ids),
        customer_type_ids=list(selection.customer_type_ids),
        emails=list(selection.emails),
        max_user_id=customers.aggregate(last=Max("pk"))["last"] or 0,
        total=total,
        **request.actor.as_fields(),
    )
    try:
        with transaction.atomic():
            job.save()
    except IntegrityError:
        # Started at the same moment by another request with the same key.
        existing = StoreCreditBulkJob.objects.get(idempotency_key=key)
        return _same_request(existing, request_hash), False
    return job, True


def needs_approval(request: Request, count: int, settings=None) -> bool:
    """Whether a job of `count` customers waits for a second staff member.
    `settings`: the shop's settings (default: as stored now)."""
    if request.actor.type not in bulk_job_approvals.MAKERS:
        return False
    if settings is None:
        from .config import get_settings  # reads Saleor's plugin configuration

        settings = get_settings()
    return settings.needs_approval(
        bulk_job_approvals.job_total(request.amount, count), request.currency
    )


def _same_request(job: StoreCreditBulkJob, request_hash: str) -> StoreCreditBulkJob:
    if job.request_hash != request_hash:
        raise IdempotencyConflict(
            "This idempotency key was already used for a different bulk adjustment.",
            field="idempotency_key",
        )
    return job


def cancel_job(job_id: int) -> StoreCreditBulkJob:
    """Stops a job before its next chunk (or before it was approved); what it
    did stays done. A job that has finished (completed, failed, rejected or
    already canceled) is refused, so the caller learns that this cancel
    stopped nothing."""
    now = timezone.now()
    canceled = StoreCreditBulkJob.objects.filter(
        pk=job_id, status__in=CANCELABLE_STATUSES
    ).update(
        status=BulkJobStatus.CANCELED, canceled_at=now, finished_at=now, updated_at=now
    )
    job = StoreCreditBulkJob.objects.filter(pk=job_id).first()
    if job is None:
        raise StoreCreditError(
            "Bulk job not found.",
            code=StoreCreditErrorCode.BULK_JOB_NOT_FOUND,
            field="id",
        )
    if not canceled:
        raise StoreCreditError(
            f"This bulk job has already finished ({job.status}).",
            code=StoreCreditErrorCode.BULK_JOB_FINISHED,
            field="id",
        )
    return job


def jobs_to_resume(now: datetime | None = None) -> list[int]:
    """Open jobs whose worker is gone: not updated for STALE_AFTER, or given up
    by a run that ended in an error."""
    now = now or timezone.now()
    return list(
        StoreCreditBulkJob.objects.filter(status__in=OPEN_STATUSES)
        .filter(
            Q(updated_at__lt=now - STALE_AFTER)
            | Q(status=BulkJobStatus.RUNNING, lease__isnull=True)
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# --- running -------------------------------------------------------------------


@dataclass
class ChunkProgress:
    done: int = 0
    credited: int = 0
    debited: int = 0
    skipped: int = 0
    failed: int = 0
    amount: Decimal = Decimal(0)
    failures: list[dict] = field(default_factory=list)
    new_entries: list[StoreCreditEntry] = field(default_factory=list)

    def add(self, change: Decimal, entry=None, replayed: bool = False):
        self.done += 1
        status = status_for(change)
        if status == CREDITED:
            self.credited += 1
        elif status == DEBITED:
            self.debited += 1
        else:
            self.skipped += 1
        self.amount += change
        if entry is not None and not replayed:
            self.new_entries.append(entry)

    def fail(self, customer, error: Exception):
        self.done += 1
        self.failed += 1
        message = getattr(error, "message", None) or "The ledger refused this change."
        self.failures.append(
            {"user_id": customer.pk, "email": customer.email, "message": message}
        )


def claim(job_id: int) -> uuid.UUID | None:
    """Makes this run the job's owner, or None if the job is finished or
    another live run owns it (a second task for a running job does nothing)."""
    lease = uuid.uuid4()
    now = timezone.now()
    claimed = (
        StoreCreditBulkJob.objects.filter(pk=job_id)
        .filter(
            Q(status=BulkJobStatus.PENDING)
            | Q(status=BulkJobStatus.RUNNING, lease__isnull=True)
            | Q(status=BulkJobStatus.RUNNING, updated_at__lt=now - STALE_AFTER)
        )
        .update(
            status=BulkJobStatus.RUNNING,
            lease=lease,
            updated_at=now,
            started_at=Coalesce(F("started_at"), Value(now)),
        )
    )
    return lease if claimed else None


def run_job(
    job_id: int,
    *,
    chunk_size: int = CHUNK_SIZE,
    on_entries: Callable[[list[StoreCreditEntry]], None] | None = None,
    after_chunk: Callable[[StoreCreditBulkJob], None] | None = None,
) -> StoreCreditBulkJob | None:
    """Runs the job to its end, unless canceled or owned by another run (None).

    `on_entries` gets the entries of each chunk once they are committed (the
    notifications); `after_chunk` the job after each chunk's progress is saved.
    """
    lease = claim(job_id)
    if lease is None:
        return None
    job = StoreCreditBulkJob.objects.get(pk=job_id)
    try:
        _run(job, lease, chunk_size, on_entries, after_chunk)
    except Exception as error:
        _give_up_run(job, lease, error)
        raise
    job.refresh_from_db()
    return job


def _run(job, lease, chunk_size, on_entries, after_chunk):
    # The keys come from the job's key whoever the actor is (keys.bulk).
    actor = bulk_job_approvals.entry_actor(job)
    job_key = keys.IdempotencyKey(job.idempotency_key)
    user_ids = sorted(job.user_ids)

    while True:
        status = (
            StoreCreditBulkJob.objects.filter(pk=job.pk)
            .values_list("status", flat=True)
            .get()
        )
        if status != BulkJobStatus.RUNNING:
            return
        chunk, through = next_chunk(job, user_ids, chunk_size)
        if through is None:
            StoreCreditBulkJob.objects.filter(
                pk=job.pk, lease=lease, status=BulkJobStatus.RUNNING
            ).update(
                status=BulkJobStatus.COMPLETED,
                lease=None,
                finished_at=timezone.now(),
                updated_at=timezone.now(),
            )
            return
        if not chunk:
            progress = ChunkProgress()
        elif job.amount > 0:
            progress = _credit_chunk(job, actor, job_key, chunk)
        else:
            progress = _debit_chunk(job, actor, job_key, chunk)
        if not _save_progress(job, lease, through, progress):
            return  # another run took the job over
        if on_entries is not None and progress.new_entries:
            on_entries(progress.new_entries)
        if after_chunk is not None:
            after_chunk(job)


def next_chunk(job, user_ids: list[int], chunk_size: int) -> tuple[list, int | None]:
    """The next customers of the job after its cursor, and the primary key up
    to which every customer has now been looked at (None: the job is done).

    Only the listed IDs that can fall in this chunk are sent (a job over a list
    of 100,000 customers does not send the whole list with every chunk), so the
    chunk ends at the last of them: a customer matched by type or email past it
    waits for a later chunk, and a window of listed IDs that are all staff or
    inactive moves the cursor on instead of ending the job.
    """
    if job.cursor >= job.max_user_id:
        return [], None
    start = bisect.bisect_right(user_ids, job.cursor)
    window = user_ids[start : start + chunk_size]
    through = job.max_user_id
    if start + chunk_size < len(user_ids):
        through = min(window[-1], through)
    chunk = list(
        select_customers(
            user_ids=window,
            customer_type_ids=job.customer_type_ids,
            emails=job.emails,
        )
        .filter(pk__gt=job.cursor, pk__lte=through)
        .only("pk", "email")[:chunk_size]
    )
    if len(chunk) == chunk_size:
        through = chunk[-1].pk
    return chunk, through


def _credit_chunk(job, actor, job_key, chunk) -> ChunkProgress:
    """The whole chunk in one transaction; on a database error, one customer
    at a time so the one at fault is recorded and the others still get theirs."""
    requests = [
        ledger.CreditRequest(
            owner=customer,
            amount=job.amount,
            currency=job.currency,
            idempotency_key=keys.bulk(actor, job_key, customer.pk),
            kind=job.lot_kind,
            reason=job.reason,
            expires_at=job.expires_at,
            customer_note=job.customer_note,
            internal_note=job.internal_note,
            actor=actor,
            provenance=ledger.Provenance(LotSource.BULK_JOB, str(job.pk)),
        )
        for customer in chunk
    ]
    progress = ChunkProgress()
    try:
        results = ledger.credit_many(requests)
    except (OperationalError, InterfaceError):
        raise
    except Exception:
        logger.exception("Bulk job %s: chunk failed, crediting one at a time", job.pk)
        results = [_credit_one(request) for request in requests]
    for customer, result in zip(chunk, results, strict=True):
        if result.error is not None:
            logger.warning(
                "Bulk job %s: customer %s refused: %s",
                job.pk,
                customer.pk,
                result.error,
            )
            progress.fail(customer, result.error)
        else:
            progress.add(result.entry.amount, result.entry, result.replayed)
    return progress


def _credit_one(request) -> "ledger.CreditResult":
    try:
        return ledger.credit_many([request])[0]
    except (OperationalError, InterfaceError):
        raise
    except Exception as error:
        logger.exception("Bulk credit of customer %s failed", request.owner.pk)
        return ledger.CreditResult(request, error=error)


def _debit_chunk(job, actor, job_key, chunk) -> ChunkProgress:
    """Each customer in a transaction of its own, as `ledger.adjust` makes it."""
    progress = ChunkProgress()
    key_of = {customer.pk: keys.bulk(actor, job_key, customer.pk) for customer in chunk}
    accounts = {
        account.user_id: account
        for account in StoreCreditAccount.objects.filter(
            user_id__in=key_of, currency=job.currency
        ).annotate(spendable=reads.spendable_now())
    }
    prior = {
        user_id: amount
        for user_id, amount in StoreCreditEntry.objects.filter(
            account__in=accounts.values(), idempotency_key__in=key_of.values()
        ).values_list("account__user_id", "amount")
    }
    for customer in chunk:
        if customer.pk in prior:
            if prior[customer.pk] > 0:
                progress.fail(
                    customer,
                    IdempotencyConflict(
                        "This idempotency key was already used for a different "
                        "bulk adjustment."
                    ),
                )
            else:
                progress.add(prior[customer.pk], replayed=True)
            continue
        change = planned_change(accounts.get(customer.pk), job.amount, job.debit_mode)
        if change == 0:
            progress.add(change)
            continue
        try:
            entry = ledger.adjust(
                customer,
                change,
                job.currency,
                idempotency_key=key_of[customer.pk],
                reason=job.reason,
                kind=job.lot_kind,
                customer_note=job.customer_note,
                internal_note=job.internal_note,
                actor=actor,
            )
        except InsufficientFunds:
            # Spent since the chunk was read: a debit never goes below zero.
            progress.add(Decimal(0))
        except StoreCreditError as error:
            logger.warning(
                "Bulk job %s: customer %s refused: %s", job.pk, customer.pk, error
            )
            progress.fail(customer, error)
        except (OperationalError, InterfaceError):
            raise
        except Exception as error:
            logger.exception("Bulk job %s: customer %s failed", job.pk, customer.pk)
            progress.fail(customer, error)
        else:
            progress.add(entry.amount, entry)
    return progress


def planned_change(account, amount: Decimal, debit_mode: str) -> Decimal:
    """The change for one customer; a debit plans with what the account can
    spend now (`spendable`: reads.spendable_now), as the dry run does."""
    if amount > 0:
        return amount
    available = account.spendable if account is not None else Decimal(0)
    wanted = -amount
    if available >= wanted:
        return amount
    if debit_mode == SKIP or available <= 0:
        return Decimal(0)
    return -available


def _save_progress(job, lease, cursor: int, progress: ChunkProgress) -> bool:
    """Counts the chunk once: only the run that owns the job, from the cursor
    the chunk started at, moves it on (a cancel in between still counts it)."""
    failures = (job.failures + progress.failures)[:MAX_FAILURES]
    saved = StoreCreditBulkJob.objects.filter(
        pk=job.pk, lease=lease, cursor=job.cursor
    ).update(
        cursor=cursor,
        done=F("done") + progress.done,
        credited_count=F("credited_count") + progress.credited,
        debited_count=F("debited_count") + progress.debited,
        skipped_count=F("skipped_count") + progress.skipped,
        failed_count=F("failed_count") + progress.failed,
        total_amount=F("total_amount") + progress.amount,
        failures=failures,
        attempts=0,
        updated_at=timezone.now(),
    )
    if saved:
        job.cursor = cursor
        job.failures = failures
        job.done += progress.done
        job.attempts = 0
    return bool(saved)


def _give_up_run(job, lease, error: Exception):
    """A run that ended in an error lets the next one take over at once; after
    MAX_FAILED_ATTEMPTS such runs in a row the job is failed."""
    logger.exception("Bulk job %s: run stopped by an error", job.pk)
    now = timezone.now()
    StoreCreditBulkJob.objects.filter(pk=job.pk, lease=lease).update(
        lease=None,
        attempts=F("attempts") + 1,
        last_error=f"{type(error).__name__}: {error}"[:1000],
        updated_at=now,
    )
    if job.attempts + 1 >= MAX_FAILED_ATTEMPTS:
        StoreCreditBulkJob.objects.filter(
            pk=job.pk, status=BulkJobStatus.RUNNING
        ).update(status=BulkJobStatus.FAILED, finished_at=now)
