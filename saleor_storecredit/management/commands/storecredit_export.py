import sys

from django.core.management.base import BaseCommand, CommandError

from ...exceptions import StoreCreditError
from ...exporting import ExportFilter, write_csv
from ._dates import parse_moment


class Command(BaseCommand):
    help = (
        "Write the store-credit ledger (one row per entry, oldest first) as CSV, "
        "streamed: memory stays flat however many entries there are."
    )

    def add_arguments(self, parser):
        parser.add_argument("--currency", help="Only this currency, e.g. USD.")
        parser.add_argument(
            "--since", help="From this date (YYYY-MM-DD) or ISO date and time."
        )
        parser.add_argument(
            "--until",
            help="Up to this date, inclusive (YYYY-MM-DD), or before this ISO "
            "date and time.",
        )
        parser.add_argument(
            "--customer",
            action="append",
            default=[],
            help="Customer email or user id (repeatable).",
        )
        parser.add_argument(
            "--reason",
            action="append",
            default=[],
            help="Entry reason, e.g. payment, refund, import (repeatable).",
        )
        parser.add_argument(
            "--output", "-o", help="Write to this file instead of standard output."
        )

    def handle(self, *args, **options):
        start = parse_moment(options["since"])
        end = parse_moment(options["until"], end_of_day=True)
        if start and end and start >= end:
            raise CommandError("--since must be before --until.")
        export_filter = ExportFilter(
            currency=options["currency"],
            start=start,
            end=end,
            customers=options["customer"],
            reasons=options["reason"],
        )
        try:
            if options["output"]:
                with open(options["output"], "w", newline="", encoding="utf-8") as out:
                    count = write_csv(out, export_filter)
            else:
                out = self.stdout._out if self.stdout._out is not None else sys.stdout
                count = write_csv(out, export_filter)
        except StoreCreditError as error:
            raise CommandError(error.message) from None
        except OSError as error:
            raise CommandError(str(error)) from None
        self.stderr.write(f"Exported {count} entries.")
