"""Opening balances from a CSV file, for shops moving from another platform.

The file is read twice, row by row, so memory does not grow with its size: the
first pass validates every row (and reports each bad one by line number), the
second credits. Each row's idempotency key is a hash of its content plus how
many identical rows came before it in the file: running the same file again
(even reformatted or reordered) credits nothing twice, while two identical rows
are two credits.
"""

import csv
import hashlib
import re
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models.functions import Lower
from django.utils import timezone

from . import ledger
from .dates import parse_moment
from .exceptions import StoreCreditError
from .ledger import keys
from .models import LotKind, LotSource, Reason, StoreCreditAccount
from .money import validate_amount, validate_currency

REQUIRED_COLUMNS = ("email", "currency", "amount")
OPTIONAL_COLUMNS = ("kind", "expiry", "note")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
CHUNK_SIZE = 2000
INTERNAL_NOTE = "Imported opening balance"
_EMAIL = re.compile(r"^[^@\s\x00]+@[^@\s\x00]+$")
_KINDS = frozenset(LotKind.values)


class ImportFileError(Exception):
    """The file as a whole cannot be read (missing columns, not CSV)."""


@dataclass(frozen=True)
class ImportRow:
    line: int
    email: str
    currency: str
    amount: object
    kind: str
    expires_at: datetime | None
    note: str
    user_id: int

    def digest(self) -> str:
        """What the row asks for, independent of how the file spelled it."""
        content = "\x1f".join(
            [
                self.email.lower(),
                self.currency,
                str(self.amount),
                self.kind,
                self.expires_at.isoformat() if self.expires_at else "",
                self.note,
            ]
        )
        return hashlib.sha256(content.encode()).hexdigest()


@dataclass(frozen=True)
class BadRow:
    line: int
    message: str

    def __str__(self):
        return f"line {self.line}: {self.message}"


@dataclass
class ImportResult:
    rows: int = 0
    bad_rows: int = 0
    credited: int = 0
    already_imported: int = 0
    failed: int = 0
    repeated_rows: int = 0


def _header(reader) -> list[str]:
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError("The file is empty.") from None
    columns = [name.strip().lower() for name in header]
    unknown = [name for name in columns if name not in COLUMNS]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    duplicated = {name for name in columns if columns.count(name) > 1}
    problems = []
    if missing:
        problems.append(f"missing column(s): {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown column(s): {', '.join(unknown)}")
    if duplicated:
        problems.append(f"repeated column(s): {', '.join(sorted(duplicated))}")
    if problems:
        raise ImportFileError("; ".join(problems) + f". Columns: {', '.join(COLUMNS)}.")
    return columns


def _records(path: str) -> Iterator[tuple[int, dict]]:
    """(line number, {column: text}) for each non-empty row."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        try:
            columns = _header(reader)
            line = reader.line_num
            for values in reader:
                start, line = line + 1, reader.line_num
                if not any(value.strip() for value in values):
                    continue
                if len(values) != len(columns):
                    yield (
                        start,
                        {
                            "__error__": (
                                f"expected {len(columns)} values, found {len(values)}"
                            )
                        },
                    )
                    continue
                yield start, dict(zip(columns, values, strict=True))
        except (csv.Error, UnicodeDecodeError) as error:
            raise ImportFileError(f"Not a readable UTF-8 CSV file: {error}") from None


def _chunks(path: str, size: int) -> Iterator[list[tuple[int, dict]]]:
    chunk = []
    for record in _records(path):
        chunk.append(record)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _parse_expiry(text: str, now: datetime) -> datetime | None:
    """A date means usable through that day (in the shop's time zone)."""
    moment = parse_moment(text, end_of_day=True)
    if moment is not None and moment <= now:
        raise ValueError(f"{text.strip()!r} is in the past")
    return moment


def _find_users(emails: set[str]) -> dict[str, list[int]]:
    """Lower-cased email -> ids of users with it (one query per chunk)."""
    users = (
        get_user_model()
        .objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in=emails)
        .values_list("email_lower", "pk")
    )
    found: dict[str, list[int]] = {}
    for email, pk in users:
        found.setdefault(email, []).append(pk)
    return found


def _accounts(user_ids: set[int]) -> set[tuple[int, str]]:
    return set(
        StoreCreditAccount.objects.filter(user_id__in=user_ids).values_list(
            "user_id", "currency"
        )
    )


def _validate_chunk(
    chunk, create_accounts: bool, now: datetime
) -> list[ImportRow | BadRow]:
    emails = {
        email
        for _, record in chunk
        if "__error__" not in record
        and _EMAIL.match(email := record.get("email", "").strip().lower())
        and "\x00" not in email
        and len(email) <= 254
    }
    users = _find_users(emails)
    accounts = (
        None
        if create_accounts
        else _accounts({pk for ids in users.values() for pk in ids})
    )
    return [_validate(line, record, users, accounts, now) for line, record in chunk]


def _validate(line, record, users, accounts, now) -> ImportRow | BadRow:
    if "__error__" in record:
        return BadRow(line, record["__error__"])
    problems = []
    email = record["email"].strip()
    user_id = None
    if not _EMAIL.match(email):
        problems.append(f"email: {email!r} is not an email address")
    else:
        ids = users.get(email.lower(), [])
        if not ids:
            problems.append(f"email: no customer with email {email}")
        elif len(ids) > 1:
            problems.append(f"email: {len(ids)} customers share email {email}")
        else:
            user_id = ids[0]
    currency = amount = None
    try:
        currency = validate_currency(record["currency"])
    except StoreCreditError as error:
        problems.append(f"currency: {error.message}")
    if currency is not None:
        try:
            amount = validate_amount(record["amount"], currency)
        except StoreCreditError as error:
            problems.append(f"amount: {error.message}")
    kind = (record.get("kind") or "").strip().lower() or LotKind.STORE_CREDIT
    if kind not in _KINDS:
        problems.append(f"kind: {kind!r} is not one of {', '.join(LotKind.values)}")
    expires_at = None
    try:
        expires_at = _parse_expiry(record.get("expiry") or "", now)
    except ValueError as error:
        problems.append(f"expiry: {error}")
    note = (record.get("note") or "").strip()
    if "\x00" in note:
        problems.append("note: contains a NUL character")
    if (
        accounts is not None
        and user_id is not None
        and currency is not None
        and (user_id, currency) not in accounts
    ):
        problems.append(
            f"email: {email} has no {currency} store-credit account yet "
            "(use --create-accounts)"
        )
    if problems:
        return BadRow(line, "; ".join(problems))
    return ImportRow(
        line=line,
        email=email,
        currency=currency,
        amount=amount,
        kind=kind,
        expires_at=expires_at,
        note=note,
        user_id=user_id,
    )


class _Occurrences:
    """How many identical rows came before, counted on disk (memory stays flat)."""

    def __init__(self):
        self._file = tempfile.NamedTemporaryFile(suffix=".sqlite3")
        self._db = sqlite3.connect(self._file.name)
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("CREATE TABLE seen (digest TEXT PRIMARY KEY, n INTEGER)")

    def next(self, digest: str) -> int:
        row = self._db.execute(
            "INSERT INTO seen VALUES (?, 0) "
            "ON CONFLICT(digest) DO UPDATE SET n = n + 1 RETURNING n",
            (digest,),
        ).fetchone()
        return row[0]

    def close(self):
        self._db.close()
        self._file.close()


def idempotency_key(row: ImportRow, occurrence: int) -> str:
    return keys.import_row(row.digest(), occurrence)


def validate_file(
    path: str,
    *,
    create_accounts: bool = False,
    on_bad_row: Callable[[BadRow], None] = lambda bad: None,
    on_progress: Callable[[int], None] = lambda rows: None,
    now: datetime | None = None,
) -> ImportResult:
    """First pass: check every row; nothing is written."""
    now = now or timezone.now()
    result = ImportResult()
    for chunk in _chunks(path, CHUNK_SIZE):
        for row in _validate_chunk(chunk, create_accounts, now):
            result.rows += 1
            if isinstance(row, BadRow):
                result.bad_rows += 1
                on_bad_row(row)
        on_progress(result.rows)
    return result


def import_file(
    path: str,
    *,
    create_accounts: bool = False,
    skip_bad_rows: bool = False,
    on_bad_row: Callable[[BadRow], None] = lambda bad: None,
    on_progress: Callable[[str, int, int], None] = lambda stage, done, total: None,
    on_credited: Callable[[object], None] = lambda entry: None,
) -> ImportResult:
    """Validate the whole file, then credit each good row once.

    With any bad row and not `skip_bad_rows`, nothing is written. A row the
    ledger refuses while writing (e.g. a balance over the maximum) is reported
    like a bad row; the rows before it stay imported and a re-run continues.
    """
    now = timezone.now()
    checked = validate_file(
        path,
        create_accounts=create_accounts,
        on_bad_row=on_bad_row,
        on_progress=lambda rows: on_progress("validated", rows, 0),
        now=now,
    )
    if checked.bad_rows and not skip_bad_rows:
        return checked
    result = ImportResult(rows=checked.rows, bad_rows=checked.bad_rows)
    occurrences = _Occurrences()
    User = get_user_model()
    done = 0
    try:
        for chunk in _chunks(path, CHUNK_SIZE):
            rows = _validate_chunk(chunk, create_accounts, now)
            keyed = []
            for row in rows:
                if isinstance(row, ImportRow):
                    occurrence = occurrences.next(row.digest())
                    if occurrence:
                        result.repeated_rows += 1
                    keyed.append((row, idempotency_key(row, occurrence)))
            users = User.objects.only("pk", "email").in_bulk(
                {row.user_id for row, _ in keyed}
            )
            # One short transaction per chunk: the chunk's accounts are locked
            # for a few statements, never while a whole file is read. Rows an
            # earlier run credited come back as replays of their entries.
            for entry in _credit_chunk(keyed, users, result, on_bad_row):
                on_credited(entry)
            done += len(rows)
            on_progress("imported", done, result.rows)
    finally:
        occurrences.close()
    return result


def _credit_chunk(todo, users, result, on_bad_row) -> list:
    """Credit the chunk's rows; returns the entries this run created."""
    outcomes = ledger.credit_many(
        [
            ledger.CreditRequest(
                owner=users[row.user_id],
                amount=row.amount,
                currency=row.currency,
                idempotency_key=key,
                kind=row.kind,
                reason=Reason.IMPORT,
                expires_at=row.expires_at,
                customer_note=row.note,
                internal_note=INTERNAL_NOTE,
                provenance=ledger.Provenance(
                    LotSource.IMPORT, key.rsplit(":", 2)[-2][:64]
                ),
            )
            for row, key in todo
        ]
    )
    created = []
    for (row, _), outcome in zip(todo, outcomes, strict=True):
        if outcome.error is not None:
            result.failed += 1
            on_bad_row(BadRow(row.line, f"not imported: {outcome.error.message}"))
        elif outcome.replayed:
            result.already_imported += 1
        else:
            result.credited += 1
            created.append(outcome.entry)
    return created
