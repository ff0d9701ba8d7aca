from django.apps import AppConfig
from django.db.models.signals import post_migrate


class StoreCreditConfig(AppConfig):
    name = "saleor_storecredit"
    label = "storecredit"
    verbose_name = "Store credit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # The ledger also runs in a bare Django project (the core test suite):
        # the GraphQL API is added only where Saleor's GraphQL app is installed.
        from .graphql.extension import install, saleor_graphql_available

        if saleor_graphql_available():
            install()

        # Beat's schedule lives in Saleor's database; writing the plugin's rows
        # after every migrate registers them with no manual step.
        from .schedules import register_periodic_tasks

        post_migrate.connect(
            register_periodic_tasks,
            sender=self,
            dispatch_uid="storecredit-periodic-tasks",
        )
