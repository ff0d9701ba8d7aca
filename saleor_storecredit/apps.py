from django.apps import AppConfig
from django.db.models.signals import post_migrate


class StoreCreditConfig(AppConfig):
    name = "saleor_storecredit"
    label = "storecredit"
    verbose_name = "Store credit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # On a Saleor older than the supported range nothing of the plugin is
        # wired in (its tables stay): Saleor starts as without it, and the
        # plugin's Dashboard page says why it stays off.
        from .saleor_compat import log_if_unsupported

        if log_if_unsupported() is not None:
            return

        # The ledger also runs in a bare Django project (the core test suite):
        # the GraphQL API is added only where Saleor's GraphQL app is installed.
        from django.apps import apps

        if apps.is_installed("saleor.graphql"):
            from .graphql.extension import install

            install()

        # Beat's schedule lives in Saleor's database; writing the plugin's rows
        # after every migrate registers them with no manual step.
        from .schedules import register_periodic_tasks

        post_migrate.connect(
            register_periodic_tasks,
            sender=self,
            dispatch_uid="storecredit-periodic-tasks",
        )
