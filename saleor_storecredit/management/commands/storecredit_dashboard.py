from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from ...dashboard.install import find_installed_app, install_app, uninstall_app
from ...dashboard.manifest import manifest_url


class Command(BaseCommand):
    help = (
        "Print the manifest URL of the Store credit app for the Saleor Dashboard "
        "(Dashboard → Apps → Install external app), or install or remove it here. "
        "Removing the app changes no credit."
    )

    def add_arguments(self, parser):
        action = parser.add_mutually_exclusive_group()
        action.add_argument(
            "--install", action="store_true", help="Install and activate the app now."
        )
        action.add_argument(
            "--uninstall", action="store_true", help="Remove the app (credit stays)."
        )

    def handle(self, *args, **options):
        if options["uninstall"]:
            count = uninstall_app()
            self.stdout.write(f"Removed {count} Store credit app(s); credit unchanged.")
            return
        if options["install"]:
            if find_installed_app() is not None:
                self.stdout.write("The Store credit app is already installed.")
                return
            try:
                app = install_app()
            except ValidationError as error:
                raise CommandError(f"Saleor refused the manifest: {error}") from None
            self.stdout.write(f"Installed the Store credit app (id {app.pk}).")
            return
        self.stdout.write(manifest_url())
