from django.core.management.base import BaseCommand, CommandError

from ...saleor_checks import find_saleor_problems
from ...verification import find_problems


class Command(BaseCommand):
    help = (
        "Check every store-credit account: balance = sum of entries, held = open "
        "holds, unspent lots = balance, nothing negative; inside Saleor also that "
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
        self.stdout.write(self.style.SUCCESS("store credit: all accounts consistent"))
