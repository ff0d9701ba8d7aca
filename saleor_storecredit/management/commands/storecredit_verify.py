from django.core.management.base import BaseCommand, CommandError

from ...verification import find_problems


class Command(BaseCommand):
    help = (
        "Check every store-credit account: balance = sum of entries, held = open "
        "holds, unspent lots = balance, nothing negative. Exits 1 on any problem."
    )

    def handle(self, *args, **options):
        problems = find_problems()
        if problems:
            for problem in problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"{len(problems)} store-credit problem(s) found", returncode=1
            )
        self.stdout.write(self.style.SUCCESS("store credit: all accounts consistent"))
