"""Row locks of the ledger, in one place so the lock order is visible.

Order: accounts by primary key, then the hold or withdrawal being changed.
An adjustment approval is locked before its customer's account (approvals.py);
nothing locks an account and then an approval. A bulk job is locked alone, to
approve or reject it (bulk_job_approvals.py); its worker never locks it.
Lots are changed only under their account's lock and need no lock of their own.

The ledger locks accounts with `lock_accounts`: hand-written statements that
return model instances, because the lock is on every hot path (benchmarks/).
The querysets serve code outside the ledger.
"""

from django.db import connection
from django.utils import timezone

from .models import (
    StoreCreditAccount,
    StoreCreditAdjustmentApproval,
    StoreCreditBulkJob,
    StoreCreditEntry,
    StoreCreditHold,
    StoreCreditLot,
    StoreCreditWithdrawal,
)

_ACCOUNT_TABLE = StoreCreditAccount._meta.db_table
_ENTRY_TABLE = StoreCreditEntry._meta.db_table
_LOT_TABLE = StoreCreditLot._meta.db_table
_ACCOUNT_FIELDS = [field.attname for field in StoreCreditAccount._meta.concrete_fields]
_SELECT_ACCOUNT = "SELECT {columns} FROM {table}".format(
    columns=", ".join(f'"{name}"' for name in _ACCOUNT_FIELDS), table=_ACCOUNT_TABLE
)

# Which accounts to lock: WHERE clauses over the account table.
BY_ID = "id = %s"
BY_IDS = "id = ANY(%s)"
OF_CUSTOMER = "user_id = %s AND currency = %s"
OF_HOLD = (
    f"id = (SELECT account_id FROM {StoreCreditHold._meta.db_table} WHERE id = %s)"
)
OF_ENTRY = f"id = (SELECT account_id FROM {_ENTRY_TABLE} WHERE id = %s)"


def account_qs_select_for_update():
    return StoreCreditAccount.objects.select_for_update(of=("self",)).order_by("pk")


def hold_qs_select_for_update():
    return StoreCreditHold.objects.select_for_update(of=("self",))


def withdrawal_qs_select_for_update():
    return StoreCreditWithdrawal.objects.select_for_update(of=("self",))


def approval_qs_select_for_update():
    return StoreCreditAdjustmentApproval.objects.select_for_update(of=("self",))


def bulk_job_qs_select_for_update():
    return StoreCreditBulkJob.objects.select_for_update(of=("self",))


def _lock_sql(where: str, skip_locked: bool) -> str:
    skip = " SKIP LOCKED" if skip_locked else ""
    return f"{_SELECT_ACCOUNT} WHERE {where} ORDER BY id FOR UPDATE{skip}"


def _accounts(rows) -> list[StoreCreditAccount]:
    return [
        StoreCreditAccount.from_db(connection.alias, _ACCOUNT_FIELDS, row)
        for row in rows
    ]


def lock_accounts(where: str, params, *, skip_locked=False) -> list[StoreCreditAccount]:
    """Lock the accounts matching `where`, in primary-key order."""
    with connection.cursor() as cursor:
        cursor.execute(_lock_sql(where, skip_locked), params)
        return _accounts(cursor.fetchall())


def lock_accounts_with_entries(where: str, params, keys) -> tuple[list, dict]:
    """Lock accounts as `lock_accounts` does and read the entries written under
    `keys` (idempotency keys): {(account id, key): (entry id, request hash)}.
    Each account's `has_due_lots` says whether credit in it is past its expiry
    and not yet booked as expired (the ledger books it before any spending).

    Both statements go in one round trip. The second starts once the locks are
    granted and, in READ COMMITTED, takes a fresh snapshot: it sees what the
    previous holder of a lock committed, so a retry never writes twice.
    """
    accounts = f"SELECT id FROM {_ACCOUNT_TABLE} WHERE {where}"
    keyed = (
        f"SELECT account_id, idempotency_key, id, request_hash FROM {_ENTRY_TABLE} "
        f"WHERE account_id IN ({accounts}) AND idempotency_key = ANY(%s) "
        f"UNION ALL SELECT DISTINCT account_id, NULL::text, NULL::bigint, NULL::text "
        f"FROM {_LOT_TABLE} "
        f"WHERE account_id IN ({accounts}) AND remaining_amount > held_amount "
        "AND expires_at <= %s"
    )
    keys = list(keys)
    with connection.cursor() as cursor:
        if connection.settings_dict["OPTIONS"].get("server_side_binding") is True:
            # Server-side binding cannot send two statements at once.
            cursor.execute(_lock_sql(where, False), params)
            rows = cursor.fetchall()
            cursor.execute(keyed, [*params, keys, *params, timezone.now()])
        else:
            cursor.execute(
                f"{_lock_sql(where, False)}; {keyed}",
                [*params, *params, keys, *params, timezone.now()],
            )
            rows = cursor.fetchall()
            cursor.nextset()
        entries, due = {}, set()
        for account_id, key, pk, fingerprint in cursor.fetchall():
            if key is None:
                due.add(account_id)
            else:
                entries[account_id, key] = (pk, fingerprint)
    found = _accounts(rows)
    for account in found:
        account.has_due_lots = account.pk in due
    return found, entries
