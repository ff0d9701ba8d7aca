import os
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from ...demo import shop as demo_shop
from ...demo.flows import Flows
from ...demo.guard import refuse_unless_demo_database
from ...demo.http import HttpApi


class Command(BaseCommand):
    help = (
        "Set up a Saleor shop with sample data and store credit enabled, play the "
        "storefront flows through /graphql/, then keep serving it on localhost. "
        "Runs only on the database `make demo` creates for it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--channel", default="default-channel")
        parser.add_argument(
            "--no-serve",
            action="store_true",
            help="Stop after the flows instead of serving Saleor.",
        )

    def step(self, message):
        self.stdout.write(self.style.MIGRATE_HEADING(f"\n>>> {message}"))

    def handle(self, *args, **options):
        refuse_unless_demo_database()
        self.step("Migrating Saleor with the store-credit plugin")
        call_command("migrate", interactive=False, verbosity=0)

        self.step("Loading Saleor's sample data (populatedb)")
        os.chdir(settings.PROJECT_ROOT)  # populatedb reads saleor/static/ from here
        call_command("populatedb", createsuperuser=True, withoutimages=True)

        self.step("Enabling store credit and preparing a customer and a payment app")
        demo_shop.enable_plugin(allow_partial_payment=True)
        customer = demo_shop.create_customer()
        app_token = demo_shop.create_payment_app()
        shop = demo_shop.demo_shop(options["channel"], customer)

        url = f"http://127.0.0.1:{options['port']}/graphql/"
        self.step(f"Starting Saleor at {url}")
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "saleor.asgi:application",
             "--host", "127.0.0.1", "--port", str(options["port"]),
             "--log-level", "warning"],
            env=os.environ.copy(),
        )  # fmt: skip
        try:
            api = HttpApi(url)
            api.wait_until_ready()
            api.log_in("staff", demo_shop.STAFF_EMAIL, demo_shop.STAFF_PASSWORD)
            api.log_in("customer", customer.email, demo_shop.CUSTOMER_PASSWORD)
            api.tokens["app"] = app_token

            self.step("Playing the storefront and staff flows")
            result = Flows(api.post, shop, self.stdout.write).run()
            self.stdout.write(
                self.style.SUCCESS(
                    f"\nBalance after each step: "
                    f"{', '.join(str(b) for b in result.balance_steps)} "
                    f"{shop.currency}; order charge status {result.order_charge_status}."
                )
            )
            self.print_tokens(url, api, customer)
            if options["no_serve"]:
                return
            self.stdout.write("Serving Saleor; press Ctrl+C to stop.")
            server.wait()
        except KeyboardInterrupt:
            pass
        finally:
            server.terminate()
            server.wait(timeout=30)

    def print_tokens(self, url, api, customer):
        self.stdout.write(
            f"\nExplore in GraphiQL: open {url} in a browser and add a header\n"
            f'  {{"Authorization": "Bearer <token>"}} with one of these tokens:\n'
            f"  customer ({customer.email} / {demo_shop.CUSTOMER_PASSWORD}):\n"
            f"    {api.tokens['customer']}\n"
            f"  staff ({demo_shop.STAFF_EMAIL} / {demo_shop.STAFF_PASSWORD}):\n"
            f"    {api.tokens['staff']}\n"
            f"  payment app (HANDLE_PAYMENTS):\n    {api.tokens['app']}\n"
            "The Dashboard can connect to the same URL; the plugin is under "
            "Configuration > Plugins > Store credit."
        )
