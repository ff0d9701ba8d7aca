"""Proof that the cached balances agree with the append-only history."""

from dataclasses import dataclass

from django.db import connections

# One pass over each table, grouped by account: cheap enough for every account.
_CHECK_SQL = """
WITH e AS (
    SELECT account_id, SUM(amount) AS balance, SUM(held_change) AS held,
           MIN(balance_after) AS min_after, MIN(held_after) AS min_held_after
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
       COALESCE(h.bad_closed, 0), COALESCE(hx.bad_holds, 0)
FROM storecredit_storecreditaccount a
LEFT JOIN e ON e.account_id = a.id
LEFT JOIN last ON last.account_id = a.id
LEFT JOIN l ON l.account_id = a.id
LEFT JOIN h ON h.account_id = a.id
LEFT JOIN hx ON hx.account_id = a.id
ORDER BY a.id
"""


@dataclass
class Problem:
    account_id: int
    currency: str
    message: str

    def __str__(self):
        return f"account {self.account_id} ({self.currency}): {self.message}"


def find_problems(using: str = "default") -> list[Problem]:
    """Every way an account disagrees with its entries, lots and holds.

    Checked per account: balance = sum of entries = unspent lots = the last
    entry's balance_after; held = sum of hold changes = open holds; each hold's
    authorized, captured and released amounts = its entries; nothing negative.
    """
    problems = []
    with connections[using].cursor() as cursor:
        cursor.execute(_CHECK_SQL)
        rows = cursor.fetchall()
    for row in rows:
        (account_id, currency, balance, held, entry_sum, held_sum, lots, open_held,
         last_balance, last_held, minimum, bad_closed, bad_holds) = row  # fmt: skip

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
        if minimum < 0:
            add("a negative balance, held amount or lot in the history")
        if bad_closed:
            add(f"{bad_closed} closed hold(s) not fully captured or released")
        if bad_holds:
            add(f"{bad_holds} hold(s) disagree with their entries")
    return problems
