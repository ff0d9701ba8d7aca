import time

from django.core.management.base import BaseCommand, CommandError

from ...importing import ImportFileError, import_file, validate_file


class Command(BaseCommand):
    help = (
        "Import opening store-credit balances from a CSV file with the columns "
        "email, currency, amount and optionally kind, expiry (YYYY-MM-DD or ISO "
        "date and time) and note (shown to the customer). Validates the whole "
        "file first and writes nothing if any row is bad (unless "
        "--skip-bad-rows). Running the same file again credits nothing twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path of the CSV file (UTF-8).")
        parser.add_argument(
            "--skip-bad-rows",
            action="store_true",
            help="Import the good rows even if some rows are bad.",
        )
        parser.add_argument(
            "--create-accounts",
            action="store_true",
            help="Open a store-credit account for customers who have none yet "
            "(otherwise their rows are bad).",
        )
        parser.add_argument(
            "--notify",
            action="store_true",
            help="Tell each customer about the credit (storecredit_credit_added; "
            "needs Saleor). Off by default: an opening balance is not news.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Only validate the file and report bad rows.",
        )

    def handle(self, *args, **options):
        path = options["file"]
        progress = _Progress(self.stderr, verbose=options["verbosity"] > 0)
        bad_rows = []

        def report(bad):
            bad_rows.append(bad.line)
            self.stderr.write(f"  {bad}")

        on_credited = self._notifier() if options["notify"] else (lambda entry: None)
        try:
            if options["dry_run"]:
                result = validate_file(
                    path,
                    create_accounts=options["create_accounts"],
                    on_bad_row=report,
                    on_progress=lambda rows: progress("validated", rows, 0),
                )
            else:
                result = import_file(
                    path,
                    create_accounts=options["create_accounts"],
                    skip_bad_rows=options["skip_bad_rows"],
                    on_bad_row=report,
                    on_progress=progress,
                    on_credited=on_credited,
                )
        except (ImportFileError, OSError) as error:
            raise CommandError(f"{path}: {error}") from None
        if options["dry_run"]:
            if result.bad_rows:
                raise CommandError(
                    f"{result.bad_rows} of {result.rows} rows are bad.", returncode=1
                )
            self.stdout.write(f"All {result.rows} rows are valid; nothing written.")
            return
        if result.bad_rows and not options["skip_bad_rows"]:
            raise CommandError(
                f"{result.bad_rows} of {result.rows} rows are bad; nothing was "
                "imported. Fix them, or run with --skip-bad-rows.",
                returncode=1,
            )
        summary = (
            f"Imported {result.credited} credit(s); {result.already_imported} "
            f"already imported before; {result.bad_rows} bad row(s) skipped."
        )
        if result.repeated_rows:
            summary += (
                f" {result.repeated_rows} row(s) repeat an earlier row and were "
                "credited as separate credits."
            )
        if result.failed:
            raise CommandError(
                summary + f" {result.failed} row(s) were refused by the ledger "
                "(listed above); run the same file again after fixing them.",
                returncode=1,
            )
        self.stdout.write(self.style.SUCCESS(summary))

    def _notifier(self):
        # Notifications go through Saleor; the ledger alone has no one to tell.
        try:
            from ...notifications import notify_entry
        except ImportError:
            raise CommandError("--notify needs Saleor.") from None
        return notify_entry


class _Progress:
    """Progress lines on stderr, at most one per tenth of the work: rows done,
    rows per second and, once the total is known, the time left."""

    def __init__(self, stream, verbose: bool):
        self.stream = stream
        self.verbose = verbose
        self.last = (None, -1)
        self.started = {}

    def __call__(self, stage: str, done: int, total: int):
        if not self.verbose:
            return
        started = self.started.setdefault(stage, time.monotonic())
        elapsed = max(time.monotonic() - started, 1e-6)
        rate = done / elapsed
        if total:
            step = done * 10 // total
            if (stage, step) != self.last:
                self.last = (stage, step)
                left = (total - done) / rate if rate else 0
                self.stream.write(
                    f"{stage} {done}/{total} rows ({step * 10}%), {rate:,.0f} rows/s, "
                    f"{left:,.0f} s left"
                )
        elif done // 10000 != self.last[1] or stage != self.last[0]:
            self.last = (stage, done // 10000)
            self.stream.write(f"{stage} {done} rows, {rate:,.0f} rows/s")
