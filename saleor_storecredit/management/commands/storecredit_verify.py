from django.core.management.base import BaseCommand, CommandError

from ...ledger.verification import (
    find_problems,
    record_checkpoint,
    unknown_provenance,
)
from ...saleor_checks import find_saleor_problems


class Command(BaseCommand):
    help = (
        "Check every store-credit account: balance = sum of entries, held = open "
        "holds, unspent lots = balance, every lot = its movements, the whole "
        "balance chain, nothing negative; owner and currency = those it was "
        "opened with, status and use = its last events; every hold = its "
        "entries and reserves its open amount in lots, every withdrawal = its "
        "records and its hold; every lot's source agrees with it (transfers "
        "keep kind, expiry and cash backing; refunds go back into lots their "
        "payment took), owed credit = its entries; no ledger row "
        "of a missing account, no row lost since the last clean run "
        "(each clean run records a checkpoint); inside Saleor also that "
        "the plugin's checkout transactions match the ledger and no hold outlives "
        "its checkout. Exits 1 on any problem."
    )

    def handle(self, *args, **options):
        problems = find_problems() + find_saleor_problems()
        if problems:
            for problem in problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"{len(problems)} store-credit problem(s) found", returncode=1
            )
        lots, left, accounts = unknown_provenance()
        if lots:
            self.stdout.write(
                f"notice: {lots} lot(s) in {accounts} account(s) are older than "
                "provenance and their entries do not tell where they came from "
                f"({left} left in them); they follow the rules of their kind."
            )
        checkpoint = record_checkpoint()
        self.stdout.write(
            self.style.SUCCESS(
                "store credit: all accounts consistent "
                f"({checkpoint.accounts} accounts, {checkpoint.entries} entries)"
            )
        )
