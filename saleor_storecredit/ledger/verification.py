"""Proof that every balance, hold and lot agrees with the append-only history.

Checked per account: balance = sum of entries = unspent lots; held = sum of
hold changes = open holds; each entry's balance_after and held_after = the
running sums up to it (the whole chain, so a row forged or lost in the middle
shows); the number of entries = the count the account keeps; each hold's
authorized, captured and released amounts = its entries; each lot's remaining
amount = the sum of its movements, its amount = its first movement and its
expiry = the one its movements recorded; each entry's amount = what it moved in
lots; nothing negative. Across the ledger: no row that an earlier clean run
counted has gone missing (checkpoints).
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db import connections

from ..models import StoreCreditCheckpoint

_ACCOUNTS_SQL = """
WITH e AS (
    SELECT account_id, SUM(amount) AS balance, SUM(held_change) AS held,
           MIN(balance_after) AS min_after, MIN(held_after) AS min_held_after,
           COUNT(*) AS entries
    FROM storecredit_storecreditentry GROUP BY account_id
), last AS (
    SELECT DISTINCT ON (account_id) account_id, balance_after, held_after
    FROM storecredit_storecreditentry ORDER BY account_id, id DESC
), l AS (
    SELECT account_id, SUM(remaining_amount) AS remaining,
           MIN(remaining_amount) AS min_remaining
    FROM storecredit_storecreditlot GROUP BY account_id
), h AS (
    SELECT account_id,
           SUM(amount - captured_amount - released_amount)
               FILTER (WHERE status = 'active') AS open_held,
           COUNT(*) FILTER (WHERE status <> 'active'
               AND amount <> captured_amount + released_amount) AS bad_closed
    FROM storecredit_storecredithold GROUP BY account_id
), hx AS (
    SELECT h.account_id, COUNT(*) AS bad_holds
    FROM storecredit_storecredithold h
    LEFT JOIN (
        SELECT hold_id,
               SUM(held_change) FILTER (WHERE kind = 'authorization') AS authorized,
               -SUM(held_change) FILTER (WHERE kind = 'capture') AS captured,
               -SUM(amount) FILTER (WHERE kind = 'capture') AS captured_amount,
               -SUM(held_change) FILTER (WHERE kind = 'release') AS released
        FROM storecredit_storecreditentry WHERE hold_id IS NOT NULL GROUP BY hold_id
    ) x ON x.hold_id = h.id
    WHERE h.amount IS DISTINCT FROM x.authorized
       OR h.captured_amount <> COALESCE(x.captured, 0)
       OR h.captured_amount <> COALESCE(x.captured_amount, 0)
       OR h.released_amount <> COALESCE(x.released, 0)
    GROUP BY h.account_id
)
SELECT a.id, a.currency, a.balance, a.held,
       COALESCE(e.balance, 0), COALESCE(e.held, 0),
       COALESCE(l.remaining, 0), COALESCE(h.open_held, 0),
       last.balance_after, last.held_after,
       LEAST(COALESCE(e.min_after, 0), COALESCE(e.min_held_after, 0),
             COALESCE(l.min_remaining, 0)),
       COALESCE(h.bad_closed, 0), COALESCE(hx.bad_holds, 0),
       COALESCE(e.entries, 0), a.entry_count
FROM storecredit_storecreditaccount a
LEFT JOIN e ON e.account_id = a.id
LEFT JOIN last ON last.account_id = a.id
LEFT JOIN l ON l.account_id = a.id
LEFT JOIN h ON h.account_id = a.id
LEFT JOIN hx ON hx.account_id = a.id
ORDER BY a.id
"""

# Entries whose balance_after / held_after are not the running sums up to them.
_CHAIN_SQL = """
SELECT account_id, COUNT(*) FROM (
    SELECT account_id, balance_after, held_after,
           SUM(amount) OVER w AS running, SUM(held_change) OVER w AS running_held
    FROM storecredit_storecreditentry
    WINDOW w AS (PARTITION BY account_id ORDER BY id
                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
) chain
WHERE balance_after <> running OR held_after <> running_held
GROUP BY account_id
"""

# Lots that disagree with their movements.
_LOTS_SQL = """
WITH m AS (
    SELECT mv.lot_id, SUM(mv.amount) AS moved, MIN(mv.id) AS first_id,
           COUNT(*) FILTER (WHERE mv.expires_at IS DISTINCT FROM lot.expires_at)
               AS other_expiry
    FROM storecredit_storecreditlotmovement mv
    JOIN storecredit_storecreditlot lot ON lot.id = mv.lot_id
    GROUP BY mv.lot_id
)
SELECT lot.account_id, COUNT(*)
FROM storecredit_storecreditlot lot
LEFT JOIN m ON m.lot_id = lot.id
LEFT JOIN storecredit_storecreditlotmovement first ON first.id = m.first_id
WHERE lot.remaining_amount IS DISTINCT FROM m.moved
   OR lot.original_amount IS DISTINCT FROM first.amount
   OR m.other_expiry > 0
GROUP BY lot.account_id
"""

# Entries whose amount is not what they moved in lots.
_ENTRY_MOVEMENTS_SQL = """
SELECT e.account_id, COUNT(*)
FROM storecredit_storecreditentry e
LEFT JOIN (
    SELECT entry_id, SUM(amount) AS moved
    FROM storecredit_storecreditlotmovement GROUP BY entry_id
) m ON m.entry_id = e.id
WHERE e.amount <> COALESCE(m.moved, 0)
GROUP BY e.account_id
"""

_COUNTS_SQL = """
SELECT (SELECT COALESCE(MAX(id), 0) FROM storecredit_storecreditentry),
       (SELECT COUNT(*) FROM storecredit_storecreditentry),
       (SELECT COALESCE(MAX(id), 0) FROM storecredit_storecreditaccount),
       (SELECT COUNT(*) FROM storecredit_storecreditaccount),
       (SELECT COALESCE(MAX(id), 0) FROM storecredit_storecreditlotmovement),
       (SELECT COUNT(*) FROM storecredit_storecreditlotmovement)
"""

_COUNTED_SQL = """
SELECT (SELECT COUNT(*) FROM storecredit_storecreditentry WHERE id <= %s),
       (SELECT COUNT(*) FROM storecredit_storecreditaccount WHERE id <= %s),
       (SELECT COUNT(*) FROM storecredit_storecreditlotmovement WHERE id <= %s)
"""

# Order-independent fingerprints: the sum of every row's md5 (first 60 bits),
# over what history keeps of each row.
_ROW_SUM = "COALESCE(SUM(('x' || substr(md5({row}), 1, 15))::bit(60)::bigint), 0)"
_DIGESTS_SQL = f"""
SELECT
  (SELECT {
    _ROW_SUM.format(
        row="concat_ws(',', id, account_id, kind, reason, amount, "
        "held_change, balance_after, held_after, lot_id, hold_id, withdrawal_id, "
        "reversed_entry_id, order_id, checkout_id, payment_id, transaction_id, "
        "gift_card_id, actor_type, actor_user_id, actor_app_id, idempotency_key, "
        "created_at)"
    )
}
   FROM storecredit_storecreditentry WHERE id <= %s),
  (SELECT {
    _ROW_SUM.format(row="concat_ws(',', id, entry_id, lot_id, amount, expires_at)")
}
   FROM storecredit_storecreditlotmovement WHERE id <= %s),
  (SELECT {
    _ROW_SUM.format(
        row="concat_ws(',', id, account_id, kind, original_amount, "
        "expires_at, created_at)"
    )
}
   FROM storecredit_storecreditlot WHERE id <= %s)
"""


@dataclass
class Problem:
    account_id: int | None
    currency: str
    message: str

    def __str__(self):
        if self.account_id is None:
            return f"ledger: {self.message}"
        return f"account {self.account_id} ({self.currency}): {self.message}"


def _per_account(cursor, sql) -> dict[int, int]:
    cursor.execute(sql)
    return dict(cursor.fetchall())


def find_problems(using: str = "default") -> list[Problem]:
    """Every way the ledger disagrees with its entries, lots, holds and checkpoints."""
    problems = []
    with connections[using].cursor() as cursor:
        cursor.execute(_ACCOUNTS_SQL)
        rows = cursor.fetchall()
        extra = defaultdict(list)
        for sql, message in (
            (_CHAIN_SQL, "entries whose balance/held after is not the running sum"),
            (_LOTS_SQL, "lots that disagree with their movements"),
            (_ENTRY_MOVEMENTS_SQL, "entries whose amount is not what they moved"),
        ):
            for account_id, count in _per_account(cursor, sql).items():
                extra[account_id].append(f"{count} {message}")
        problems.extend(_checkpoint_problems(cursor, using))
    for row in rows:
        (account_id, currency, balance, held, entry_sum, held_sum, lots, open_held,
         last_balance, last_held, minimum, bad_closed, bad_holds, entries,
         entry_count) = row  # fmt: skip

        def add(message, account_id=account_id, currency=currency):
            problems.append(Problem(account_id, currency, message))

        if balance < 0 or held < 0 or held > balance:
            add(f"balance {balance} / held {held} out of range")
        if balance != entry_sum:
            add(f"balance {balance} != sum of entries {entry_sum}")
        if held != held_sum:
            add(f"held {held} != sum of entry hold changes {held_sum}")
        if held != open_held:
            add(f"held {held} != open holds {open_held}")
        if balance != lots:
            add(f"balance {balance} != unspent lots {lots}")
        if last_balance is not None and (last_balance != balance or last_held != held):
            add(f"last entry says {last_balance}/{last_held}, account {balance}/{held}")
        if entries != entry_count:
            add(f"{entries} entries, but the account counted {entry_count}")
        if minimum < 0:
            add("a negative balance, held amount or lot in the history")
        if bad_closed:
            add(f"{bad_closed} closed hold(s) not fully captured or released")
        if bad_holds:
            add(f"{bad_holds} hold(s) disagree with their entries")
        for message in extra.pop(account_id, ()):
            add(message)
    for account_id, messages in extra.items():
        for message in messages:
            problems.append(Problem(account_id, "?", f"{message} (account missing)"))
    return problems


def _digests(cursor, last_entry: int, last_movement: int, last_lot: int):
    cursor.execute(_DIGESTS_SQL, [last_entry, last_movement, last_lot])
    return [str(value) for value in cursor.fetchone()]


def _checkpoint_problems(cursor, using: str) -> list[Problem]:
    checkpoints = list(
        StoreCreditCheckpoint.objects.using(using)
        .order_by("pk")
        .values_list("pk", "last_entry_id", "entries", "last_movement_id", "movements")
    )
    problems = []
    for (_, *before), (pk, *after) in zip(checkpoints, checkpoints[1:], strict=False):
        if any(later < earlier for earlier, later in zip(before, after, strict=True)):
            # Checkpoints only ever grow: one that counts less than the one before
            # was forged (or rows went missing between the two runs).
            problems.append(
                Problem(
                    None, "", f"checkpoint {pk} counts fewer rows than the one before"
                )
            )
    checkpoint = StoreCreditCheckpoint.objects.using(using).order_by("-pk").first()
    if checkpoint is None:
        return problems
    cursor.execute(
        _COUNTED_SQL,
        [
            checkpoint.last_entry_id,
            checkpoint.last_account_id,
            checkpoint.last_movement_id,
        ],
    )
    entries, accounts, movements = cursor.fetchone()
    if checkpoint.entries_digest:
        now = _digests(
            cursor,
            checkpoint.last_entry_id,
            checkpoint.last_movement_id,
            checkpoint.last_lot_id,
        )
        for name, recorded, current in zip(
            ("entries", "lot movements", "lots"),
            (
                checkpoint.entries_digest,
                checkpoint.movements_digest,
                checkpoint.lots_digest,
            ),
            now,
            strict=True,
        ):
            if recorded != current:
                problems.append(
                    Problem(
                        None,
                        "",
                        f"{name} counted on {checkpoint.created_at:%Y-%m-%d %H:%M} "
                        "were changed since",
                    )
                )
    for name, counted, now in (
        ("entries", checkpoint.entries, entries),
        ("accounts", checkpoint.accounts, accounts),
        ("lot movements", checkpoint.movements, movements),
    ):
        if now != counted:
            problems.append(
                Problem(
                    None,
                    "",
                    f"{counted - now} of the {counted} {name} counted on "
                    f"{checkpoint.created_at:%Y-%m-%d %H:%M} are missing",
                )
            )
    return problems


def record_checkpoint(using: str = "default") -> StoreCreditCheckpoint:
    """Remember what a clean run saw, so later runs notice rows that vanish."""
    with connections[using].cursor() as cursor:
        cursor.execute(_COUNTS_SQL)
        last_entry, entries, last_account, accounts, last_movement, movements = (
            cursor.fetchone()
        )
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM storecredit_storecreditlot")
        (last_lot,) = cursor.fetchone()
        entries_digest, movements_digest, lots_digest = _digests(
            cursor, last_entry, last_movement, last_lot
        )
    return StoreCreditCheckpoint.objects.using(using).create(
        last_entry_id=last_entry,
        entries=entries,
        last_account_id=last_account,
        accounts=accounts,
        last_movement_id=last_movement,
        movements=movements,
        last_lot_id=last_lot,
        entries_digest=entries_digest,
        movements_digest=movements_digest,
        lots_digest=lots_digest,
    )
