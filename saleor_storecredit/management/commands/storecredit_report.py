from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from ...exceptions import StoreCreditError
from ...money import quantize
from ...reports import build_report
from ._dates import parse_moment


class Command(BaseCommand):
    help = (
        "Print the store-credit statistics of a currency and period as a table: "
        "credit issued, spent, refunded, expired, withdrawn, liability at both "
        "ends, movements per reason (the storeCreditReport query's numbers)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--currency", required=True, help="e.g. USD")
        parser.add_argument(
            "--since",
            help="From this date (YYYY-MM-DD) or ISO date and time; default: "
            "since the first entry.",
        )
        parser.add_argument(
            "--until",
            help="Up to this date, inclusive (YYYY-MM-DD), or this ISO date and "
            "time; default: now.",
        )

    def handle(self, *args, **options):
        start = parse_moment(options["since"])
        end = parse_moment(options["until"], end_of_day=True)
        if end is not None and options["until"] and len(options["until"]) == 10:
            end -= timedelta(microseconds=1)  # the report's end is inclusive
        try:
            report = build_report(options["currency"], start, end)
        except StoreCreditError as error:
            raise CommandError(error.message) from None
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write("\n".join(format_report(report)))


def format_report(report) -> list[str]:
    currency = report.currency

    def money(value):
        return f"{quantize(value, currency)} {currency}"

    period = (
        f"{report.start.isoformat() if report.start else 'beginning'} .. "
        f"{report.end.isoformat()}"
    )
    summary = [
        ("Opening liability", money(report.opening_liability)),
        ("Issued", money(report.issued)),
        ("  of which top-ups", money(report.topped_up)),
        ("  of which bonus", money(report.bonus)),
        ("Spent on orders", money(report.spent)),
        ("Refunded to credit", money(report.refunded)),
        ("Expired", money(report.expired)),
        ("Withdrawn", money(report.withdrawn)),
        ("Transferred between customers", money(report.transferred)),
        ("Closing liability", money(report.closing_liability)),
        ("Net change", money(report.net_change)),
        ("Accounts with a balance (now)", str(report.accounts_with_balance)),
        (
            "Expiring within 30 days (now)",
            f"{money(report.expiring_soon)} in {report.expiring_accounts} account(s)",
        ),
    ]
    lines = [f"Store credit {currency}, {period}", ""]
    lines += _table(["Statistic", "Value"], summary, right=[1])
    lines.append("")
    movements = [
        (m.reason, money(m.credited), money(m.debited), money(m.net), str(m.count))
        for m in report.movements
    ]
    if movements:
        lines += _table(
            ["Reason", "Credited", "Debited", "Net", "Entries"],
            movements,
            right=[1, 2, 3, 4],
        )
    else:
        lines.append("No movements in this period.")
    return lines


def _table(header, rows, right=()) -> list[str]:
    widths = [
        max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))
    ]

    def line(cells):
        return "  ".join(
            str(cell).rjust(widths[i]) if i in right else str(cell).ljust(widths[i])
            for i, cell in enumerate(cells)
        ).rstrip()

    return [line(header), "  ".join("-" * w for w in widths), *map(line, rows)]
