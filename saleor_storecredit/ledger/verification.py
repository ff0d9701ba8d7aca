"""Proof that every balance, hold, lot, owner and withdrawal agrees with the
append-only history.

Checked per account: balance = sum of entries = unspent lots; held = sum of
hold changes = open holds; each entry's balance_after and held_after = the
running sums up to it (the whole chain, so a row forged or lost in the middle
shows); the number of entries = the count the account keeps; each hold's
authorized, captured and released amounts, account, reason and references =
its entries, and its status = what its amounts say; each lot's remaining
amount = the sum of its movements, its amount = its first movement and its
expiry = the one its movements recorded; each entry's amount = what it moved in
lots; nothing negative. The owner and currency = those the account was opened
with (its "opened" event, written by the database; no owner is right only once
that customer is deleted); status, use and staff note = its last event of each.
Each withdrawal's account, hold and amount = its records, its status = its last
record, and its hold agrees (pending, approved: held whole; paid: captured
whole; rejected, canceled: released whole). No ledger row refers to an account
that is gone. Across the ledger: no row that an earlier clean run counted has
gone missing (checkpoints).

Every fact is read from rows the database refuses to change or delete
(entries, lot movements, events, withdrawal records, checkpoints), each check
one set-based query.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connections

from ..models import LotSource, StoreCreditCheckpoint

_ACCOUNTS_SQL = """
WITH e AS (
    SELECT account_id, SUM(amount) AS balance, SUM(held_change) AS held,
           SUM(owed_change) AS owed,
           MIN(balance_after) AS min_after, MIN(held_after) AS min_held_after,
           COUNT(*) AS entries
    FROM storecredit_storecreditentry GROUP BY account_id
), last AS (
    SELECT DISTINCT ON (account_id) account_id, balance_after, held_after
    FROM storecredit_storecreditentry ORDER BY account_id, id DESC
), l AS (
    SELECT account_id, SUM(remaining_amount) AS remaining,
           SUM(held_amount) AS lots_held,
           MIN(LEAST(remaining_amount, held_amount)) AS min_remaining
    FROM storecredit_storecreditlot GROUP BY account_id
), h AS (
    SELECT account_id,
           SUM(amount - captured_amount - released_amount)
               FILTER (WHERE status = 'active') AS open_held,
           -- A hold's status follows from its amounts: open while some is
           -- left, then captured if any was captured, else released.
           COUNT(*) FILTER (WHERE status <> CASE
               WHEN amount > captured_amount + released_amount THEN 'active'
               WHEN captured_amount > 0 THEN 'captured'
               ELSE 'released' END) AS bad_status
    FROM storecredit_storecredithold GROUP BY account_id
), hx AS (
    -- Named on the account its entries were written to: a hold moved to
    -- another account is reported where its credit came from.
    SELECT COALESCE(x.first_account, h.account_id) AS account_id,
           COUNT(*) AS bad_holds
    FROM storecredit_storecredithold h
    FULL JOIN (
        SELECT hold_id,
               SUM(held_change) FILTER (WHERE kind = 'authorization') AS authorized,
               -SUM(held_change) FILTER (WHERE kind = 'capture') AS captured,
               -SUM(amount) FILTER (WHERE kind = 'capture') AS captured_amount,
               -SUM(held_change) FILTER (WHERE kind = 'release') AS released,
               MIN(account_id) AS first_account, MAX(account_id) AS last_account,
               MIN(reason) AS first_reason, MAX(reason) AS last_reason,
               -- What the hold was for: the first value its entries named.
               (ARRAY_AGG(order_id ORDER BY id)
                   FILTER (WHERE order_id IS NOT NULL))[1] AS order_id,
               (ARRAY_AGG(checkout_id ORDER BY id)
                   FILTER (WHERE checkout_id IS NOT NULL))[1] AS checkout_id,
               (ARRAY_AGG(payment_id ORDER BY id)
                   FILTER (WHERE payment_id IS NOT NULL))[1] AS payment_id,
               (ARRAY_AGG(transaction_id ORDER BY id)
                   FILTER (WHERE transaction_id IS NOT NULL))[1] AS transaction_id
        FROM storecredit_storecreditentry WHERE hold_id IS NOT NULL GROUP BY hold_id
    ) x ON x.hold_id = h.id  -- FULL: entries of a hold that is gone count too
    WHERE h.amount IS DISTINCT FROM x.authorized
       OR h.captured_amount <> COALESCE(x.captured, 0)
       OR h.captured_amount <> COALESCE(x.captured_amount, 0)
       OR h.released_amount <> COALESCE(x.released, 0)
       OR h.account_id <> x.first_account OR h.account_id <> x.last_account
       OR h.reason <> x.first_reason OR h.reason <> x.last_reason
       OR h.order_id IS DISTINCT FROM x.order_id
       OR h.checkout_id IS DISTINCT FROM x.checkout_id
       OR h.payment_id IS DISTINCT FROM x.payment_id
       OR h.transaction_id IS DISTINCT FROM x.transaction_id
    GROUP BY 1
)
SELECT a.id, a.currency, a.balance, a.held,
       COALESCE(e.balance, 0), COALESCE(e.held, 0),
       COALESCE(l.remaining, 0), COALESCE(h.open_held, 0),
       last.balance_after, last.held_after,
       LEAST(COALESCE(e.min_after, 0), COALESCE(e.min_held_after, 0),
             COALESCE(l.min_remaining, 0)),
       COALESCE(h.bad_status, 0), COALESCE(hx.bad_holds, 0),
       COALESCE(e.entries, 0), a.entry_count,
       a.owed, COALESCE(e.owed, 0), COALESCE(l.lots_held, 0)
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

# Lots whose reserved part is not what their movements reserved, or more
# than is left of them.
_LOT_HOLDS_SQL = """
SELECT lot.account_id, COUNT(*)
FROM storecredit_storecreditlot lot
LEFT JOIN (
    SELECT lot_id, SUM(held_change) AS held
    FROM storecredit_storecreditlotmovement GROUP BY lot_id
) m ON m.lot_id = lot.id
WHERE lot.held_amount <> COALESCE(m.held, 0) OR lot.held_amount > lot.remaining_amount
GROUP BY lot.account_id
"""

# Holds whose open amount is not what they reserve in lots (a closed hold
# reserves nothing), or that reserve a lot of another account.
_HOLD_LOTS_SQL = """
SELECT h.account_id, COUNT(*)
FROM storecredit_storecredithold h
LEFT JOIN (
    SELECT e.hold_id, SUM(mv.held_change) AS reserved,
           COUNT(*) FILTER (WHERE lot.account_id <> e.account_id) AS foreign_lots,
           COUNT(*) FILTER (WHERE mv.held_change < 0 AND mv.amount <> 0
                            AND mv.amount <> mv.held_change) AS odd
    FROM storecredit_storecreditlotmovement mv
    JOIN storecredit_storecreditentry e ON e.id = mv.entry_id
    JOIN storecredit_storecreditlot lot ON lot.id = mv.lot_id
    WHERE e.hold_id IS NOT NULL GROUP BY e.hold_id
) r ON r.hold_id = h.id
WHERE COALESCE(r.reserved, 0) <> CASE WHEN h.status = 'active'
          THEN h.amount - h.captured_amount - h.released_amount ELSE 0 END
   OR COALESCE(r.foreign_lots, 0) > 0 OR COALESCE(r.odd, 0) > 0
GROUP BY h.account_id
"""

# Entries whose held change is not what they reserved or freed in lots
# (entries written before 0011 reserved nothing: their holds were given
# their lots by the migration, on the authorization).
_ENTRY_HELD_SQL = """
SELECT e.account_id, COUNT(*)
FROM storecredit_storecreditentry e
JOIN (
    SELECT entry_id, SUM(held_change) AS held
    FROM storecredit_storecreditlotmovement GROUP BY entry_id
) m ON m.entry_id = e.id
WHERE e.kind IN ('capture', 'release') AND e.held_change <> m.held
GROUP BY e.account_id
"""

# Provenance: each lot's source is one the ledger writes and agrees with the
# lot (a top-up or bonus names its order, cash backing only for money the
# shop received, credit received by transfer has the sender's lot with the
# same kind, expiry and backing); credit given back for a payment went into
# lots that payment took; no order owes less than nothing.
_PROVENANCE_SQL = """
SELECT lot.account_id, COUNT(*)
FROM storecredit_storecreditlot lot
LEFT JOIN storecredit_storecreditlot o ON o.id = lot.origin_lot_id
WHERE lot.source NOT IN ({sources})
   OR (lot.source IN ('top_up', 'bonus', 'order_refund') AND lot.order_id IS NULL)
   OR (lot.cash_backed AND lot.source NOT IN ('top_up', 'order_refund', 'transfer'))
   OR (lot.source = 'transfer' AND lot.origin_lot_id IS NOT NULL AND (
        o.kind <> lot.kind OR o.cash_backed <> lot.cash_backed
        OR o.expires_at IS DISTINCT FROM lot.expires_at
        OR o.account_id = lot.account_id))
   OR (lot.origin_lot_id IS NOT NULL AND lot.source <> 'transfer')
   OR (lot.source = 'bonus' AND NOT EXISTS (
        SELECT 1 FROM storecredit_storecreditlot t
        WHERE t.account_id = lot.account_id AND t.order_id = lot.order_id
          AND t.source = 'top_up'))
GROUP BY lot.account_id
"""

_REFUNDED_LOTS_SQL = """
SELECT e.account_id, COUNT(*)
FROM storecredit_storecreditentry e
JOIN storecredit_storecreditlotmovement mv ON mv.entry_id = e.id
WHERE e.kind = 'refund' AND mv.amount > 0
  AND mv.id <> (SELECT MIN(id) FROM storecredit_storecreditlotmovement f
                WHERE f.lot_id = mv.lot_id)
  AND NOT EXISTS (
    SELECT 1 FROM storecredit_storecreditlotmovement t
    JOIN storecredit_storecreditentry p ON p.id = t.entry_id
    WHERE t.lot_id = mv.lot_id AND t.amount < 0 AND t.id < mv.id
      AND p.kind IN ('debit', 'capture') AND p.account_id = e.account_id
      AND (p.order_id = e.order_id OR p.transaction_id = e.transaction_id
           OR p.payment_id = e.payment_id OR p.checkout_id = e.checkout_id))
GROUP BY e.account_id
"""

_DEBTS_SQL = """
SELECT account_id, COUNT(*) FROM (
    SELECT account_id, order_id, SUM(owed_change) AS owed
    FROM storecredit_storecreditentry WHERE owed_change <> 0
    GROUP BY account_id, order_id
) d WHERE owed < 0
GROUP BY account_id
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

# Accounts whose owner, currency, status, use or note is not what their
# append-only events say: the owner and currency they were opened with (a
# customer deleted in Saleor leaves no owner), the last change of each.
_STATE_SQL = """
WITH opened AS (
    SELECT account_id, user_id, currency
    FROM storecredit_storecreditaccountevent WHERE type = 'opened'
), changed AS (
    SELECT DISTINCT ON (account_id, type) account_id, type, new_value
    FROM storecredit_storecreditaccountevent
    WHERE type IN ('status_changed', 'can_use_changed', 'note_changed')
    ORDER BY account_id, type, id DESC
), last AS (
    SELECT account_id,
           MAX(new_value) FILTER (WHERE type = 'status_changed') AS status,
           MAX(new_value) FILTER (WHERE type = 'can_use_changed') AS can_use,
           MAX(new_value) FILTER (WHERE type = 'note_changed') AS note
    FROM changed GROUP BY account_id
), s AS (
    SELECT COALESCE(a.id, o.account_id) AS account_id,
           a.id IS NOT NULL AS present, o.account_id IS NOT NULL AS recorded,
           a.user_id, o.user_id AS opened_user_id,
           a.currency, o.currency AS opened_currency,
           a.status, COALESCE(last.status, 'active') AS last_status,
           COALESCE(LOWER(a.can_use::text), '') AS can_use,
           COALESCE(last.can_use, '') AS last_can_use,
           a.note = COALESCE(last.note, '') AS same_note
    FROM storecredit_storecreditaccount a
    FULL JOIN opened o ON o.account_id = a.id
    LEFT JOIN last ON last.account_id = COALESCE(a.id, o.account_id)
)
SELECT account_id, present, recorded, user_id, opened_user_id, currency,
       opened_currency, status, last_status, can_use, last_can_use, same_note
FROM s
WHERE NOT present OR NOT recorded
   OR currency <> opened_currency
   OR user_id IS DISTINCT FROM opened_user_id AND (
       user_id IS NOT NULL
       OR EXISTS (SELECT 1 FROM {users} u WHERE u.id = s.opened_user_id))
   OR status <> last_status OR can_use <> last_can_use OR NOT same_note
ORDER BY account_id
"""

# Withdrawals that disagree with their append-only records (account, hold and
# amount as requested, status as last recorded) or with their hold (pending and
# approved: held whole; paid: captured whole; rejected, canceled: released whole).
_WITHDRAWALS_SQL = """
WITH r AS (
    SELECT withdrawal_id, COUNT(*) AS records,
           MIN(account_id) AS account_id, MAX(account_id) AS last_account_id,
           MIN(hold_id) AS hold_id, MAX(hold_id) AS last_hold_id,
           COUNT(*) FILTER (WHERE hold_id IS NULL) AS no_hold,
           MIN(amount) AS amount, MAX(amount) AS last_amount
    FROM storecredit_storecreditwithdrawalevent GROUP BY withdrawal_id
), last AS (
    SELECT DISTINCT ON (withdrawal_id) withdrawal_id, status
    FROM storecredit_storecreditwithdrawalevent ORDER BY withdrawal_id, id DESC
), checked AS (
    SELECT COALESCE(w.id, r.withdrawal_id) AS id,
           COALESCE(r.account_id, w.account_id) AS account_id,
           w.id IS NOT NULL AS present, r.withdrawal_id IS NOT NULL AS recorded,
           w.account_id IS NOT DISTINCT FROM r.account_id
               AND r.account_id = r.last_account_id
               AND w.hold_id IS NOT DISTINCT FROM r.hold_id
               AND r.hold_id = r.last_hold_id AND r.no_hold = 0
               AND w.amount IS NOT DISTINCT FROM r.amount
               AND r.amount = r.last_amount AS as_recorded,
           w.status, last.status AS last_status,
           h.id IS NOT NULL AND h.account_id = w.account_id
               AND h.amount = w.amount AND h.reason = 'withdrawal' AS hold_matches,
           h.status AS hold_status,
           CASE
               WHEN w.status IN ('pending', 'approved') THEN h.status = 'active'
                   AND h.captured_amount = 0 AND h.released_amount = 0
               WHEN w.status = 'paid' THEN h.status = 'captured'
                   AND h.captured_amount = h.amount
               WHEN w.status IN ('rejected', 'canceled') THEN h.status = 'released'
                   AND h.released_amount = h.amount
               ELSE false
           END AS hold_agrees
    FROM storecredit_storecreditwithdrawal w
    FULL JOIN r ON r.withdrawal_id = w.id
    LEFT JOIN last ON last.withdrawal_id = COALESCE(w.id, r.withdrawal_id)
    LEFT JOIN storecredit_storecredithold h ON h.id = w.hold_id
)
SELECT id, account_id, present, recorded, as_recorded, status, last_status,
       hold_matches, hold_status, hold_agrees
FROM checked
WHERE NOT present OR NOT recorded OR NOT as_recorded
   OR status IS DISTINCT FROM last_status
   OR NOT hold_matches OR hold_agrees IS NOT TRUE
ORDER BY id
"""

# Ledger rows whose account no longer exists (accounts are never deleted).
_ORPHANS_SQL = """
SELECT x.account_id, SUM(x.n) FROM (
    SELECT account_id, COUNT(*) AS n
    FROM storecredit_storecreditentry GROUP BY account_id
    UNION ALL SELECT account_id, COUNT(*)
    FROM storecredit_storecreditlot GROUP BY account_id
    UNION ALL SELECT account_id, COUNT(*)
    FROM storecredit_storecredithold GROUP BY account_id
    UNION ALL SELECT account_id, COUNT(*)
    FROM storecredit_storecreditwithdrawal GROUP BY account_id
    UNION ALL SELECT account_id, COUNT(*)
    FROM storecredit_storecreditaccountevent GROUP BY account_id
) x
WHERE NOT EXISTS (
    SELECT 1 FROM storecredit_storecreditaccount a WHERE a.id = x.account_id
)
GROUP BY x.account_id
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


def _owner(user_id) -> str:
    return "nobody" if user_id is None else f"user {user_id}"


def _state_problems(cursor, extra, currencies):
    """Owner, currency, status, use and note against the account's events."""
    users = get_user_model()._meta.db_table
    cursor.execute(_STATE_SQL.format(users=cursor.db.ops.quote_name(users)))
    for (account_id, present, recorded, user_id, opened_user_id, currency,
         opened_currency, status, last_status, can_use, last_can_use,
         same_note) in cursor.fetchall():  # fmt: skip
        messages = extra[account_id]
        if not present:
            currencies[account_id] = opened_currency
            messages.append(
                f"opened for {_owner(opened_user_id)} in {opened_currency}, now gone"
            )
            continue
        if not recorded:
            messages.append("no record of its opening (owner and currency unproven)")
            continue
        if currency != opened_currency:
            messages.append(
                f"currency is {currency}, but the account was opened in "
                f"{opened_currency}"
            )
        if user_id != opened_user_id and (
            user_id is not None or opened_user_id is not None
        ):
            # Only reported when the query found it wrong: no owner is right
            # once the customer the account was opened for is deleted.
            messages.append(
                f"owner is {_owner(user_id)}, but the account was opened for "
                f"{_owner(opened_user_id)}"
            )
        if status != last_status:
            messages.append(
                f"status is {status}, but its last recorded change says {last_status}"
            )
        if can_use != last_can_use:
            messages.append(
                f"use is {can_use or 'by the shop rules'}, but its last recorded "
                f"change says {last_can_use or 'by the shop rules'}"
            )
        if not same_note:
            messages.append("staff note is not the one last recorded")


def _withdrawal_problems(cursor, extra):
    """Each withdrawal against its records and its hold."""
    cursor.execute(_WITHDRAWALS_SQL)
    for (withdrawal_id, account_id, present, recorded, as_recorded, status,
         last_status, hold_matches, hold_status, hold_agrees) in cursor.fetchall():  # fmt: skip
        messages = extra[account_id]
        name = f"withdrawal {withdrawal_id}"
        if not present:
            messages.append(f"{name} is missing (its records remain)")
            continue
        if not recorded:
            messages.append(f"{name} has no record of its request")
            continue
        if not as_recorded:
            messages.append(f"{name}: account, hold or amount is not as requested")
        if status != last_status:
            messages.append(f"{name} is {status}, but was last recorded {last_status}")
        if not hold_matches:
            messages.append(f"{name}: its hold is of another account or amount")
        elif not hold_agrees:
            messages.append(f"{name} is {status}, but its hold is {hold_status}")


def find_problems(using: str = "default") -> list[Problem]:
    """Every way the ledger disagrees with its entries, lots, holds, events,
    withdrawal records and checkpoints."""
    problems = []
    extra = defaultdict(list)
    currencies = {}
    with connections[using].cursor() as cursor:
        cursor.execute(_ACCOUNTS_SQL)
        rows = cursor.fetchall()
        for sql, message in (
            (_CHAIN_SQL, "entries whose balance/held after is not the running sum"),
            (_LOTS_SQL, "lots that disagree with their movements"),
            (_ENTRY_MOVEMENTS_SQL, "entries whose amount is not what they moved"),
            (_LOT_HOLDS_SQL, "lots whose reserved part disagrees with their movements"),
            (_HOLD_LOTS_SQL, "hold(s) whose open amount is not what they reserve"),
            (_ENTRY_HELD_SQL, "entries whose held change is not what they freed"),
            (
                _provenance_sql(),
                "lots whose source is unknown to the ledger or disagrees with the lot",
            ),
            (_REFUNDED_LOTS_SQL, "refunds put into lots their payment never took"),
            (_DEBTS_SQL, "orders owed less than nothing"),
        ):
            for account_id, count in _per_account(cursor, sql).items():
                extra[account_id].append(f"{count} {message}")
        _state_problems(cursor, extra, currencies)
        _withdrawal_problems(cursor, extra)
        for account_id, count in _per_account(cursor, _ORPHANS_SQL).items():
            extra[account_id].append(f"{count} ledger rows of a missing account")
        problems.extend(_checkpoint_problems(cursor, using))
    for row in rows:
        (account_id, currency, balance, held, entry_sum, held_sum, lots, open_held,
         last_balance, last_held, minimum, bad_status, bad_holds, entries,
         entry_count, owed, owed_sum, lots_held) = row  # fmt: skip

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
        if owed < 0 or owed != owed_sum:
            add(f"owed {owed} != sum of entry owed changes {owed_sum}")
        if held != lots_held:
            add(f"held {held} != reserved in lots {lots_held}")
        if entries != entry_count:
            add(f"{entries} entries, but the account counted {entry_count}")
        if minimum < 0:
            add("a negative balance, held amount or lot in the history")
        if bad_status:
            add(f"{bad_status} hold(s) whose status is not what their amounts say")
        if bad_holds:
            add(f"{bad_holds} hold(s) disagree with their entries")
        for message in extra.pop(account_id, ()):
            add(message)
    for account_id, messages in extra.items():
        for message in messages:
            problems.append(
                Problem(
                    account_id,
                    currencies.get(account_id) or "?",
                    f"{message} (account missing)",
                )
            )
    return problems


def _provenance_sql() -> str:
    sources = ", ".join(f"'{source}'" for source in LotSource.values)
    return _PROVENANCE_SQL.format(sources=sources)


_UNKNOWN_SQL = """
SELECT COUNT(*), COALESCE(SUM(remaining_amount), 0), COUNT(DISTINCT account_id)
FROM storecredit_storecreditlot WHERE source = 'unknown'
"""


def unknown_provenance(using: str = "default") -> tuple[int, object, int]:
    """Lots whose source migration 0011 could not tell from their entries:
    (lots, credit left in them, accounts). Not a fault: a notice for staff."""
    with connections[using].cursor() as cursor:
        cursor.execute(_UNKNOWN_SQL)
        return cursor.fetchone()


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
