from django.apps import AppConfig


class StoreCreditConfig(AppConfig):
    name = "saleor_storecredit"
    label = "storecredit"
    verbose_name = "Store credit"
    default_auto_field = "django.db.models.BigAutoField"
