"""Holds get a deadline: a checkout's hold of credit that expires ends then."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("storecredit", "0008_adjustment_approvals"),
    ]

    operations = [
        migrations.AddField(
            model_name="storecredithold",
            name="expires_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="storecredithold",
            index=models.Index(
                condition=models.Q(("expires_at__isnull", False), ("status", "active")),
                fields=["expires_at"],
                name="storecredit_hold_deadline",
            ),
        ),
    ]
