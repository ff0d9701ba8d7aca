"""Lot movements, account events, verify checkpoints, entry counts, text limits.

The text limits are added NOT VALID: rows written before them stay readable;
every new or changed row is checked.
"""

import django.db.models.deletion
import django.db.models.functions.text
import django.db.models.lookups
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def _text_limit(model: str, field: str, name: str):
    constraint = models.CheckConstraint(
        condition=django.db.models.lookups.LessThanOrEqual(
            django.db.models.functions.text.Length(field), 1000
        ),
        name=name,
    )
    return migrations.SeparateDatabaseAndState(
        state_operations=[
            migrations.AddConstraint(model_name=model, constraint=constraint)
        ],
        database_operations=[
            migrations.RunSQL(
                f"ALTER TABLE storecredit_{model} ADD CONSTRAINT {name} "
                f"CHECK (char_length({field}) <= 1000) NOT VALID",
                f"ALTER TABLE storecredit_{model} DROP CONSTRAINT {name}",
            )
        ],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("storecredit", "0002_entry_append_only"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="StoreCreditAccountEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                (
                    "type",
                    models.CharField(
                        choices=[
                            ("status_changed", "Status changed"),
                            ("can_use_changed", "Use allowed or refused"),
                            ("note_changed", "Staff note changed"),
                        ],
                        max_length=32,
                    ),
                ),
                ("old_value", models.TextField(blank=True, default="")),
                ("new_value", models.TextField(blank=True, default="")),
                (
                    "actor_type",
                    models.CharField(
                        choices=[
                            ("staff", "Staff"),
                            ("app", "App"),
                            ("customer", "Customer"),
                            ("system", "System"),
                        ],
                        default="system",
                        max_length=16,
                    ),
                ),
                ("actor_user_id", models.BigIntegerField(blank=True, null=True)),
                ("actor_app_id", models.BigIntegerField(blank=True, null=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "ordering": ("-pk",),
            },
        ),
        migrations.CreateModel(
            name="StoreCreditCheckpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("last_entry_id", models.BigIntegerField()),
                ("entries", models.BigIntegerField()),
                ("last_account_id", models.BigIntegerField()),
                ("accounts", models.BigIntegerField()),
                ("last_movement_id", models.BigIntegerField()),
                ("movements", models.BigIntegerField()),
            ],
            options={
                "ordering": ("-pk",),
            },
        ),
        migrations.CreateModel(
            name="StoreCreditLotMovement",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("amount", models.DecimalField(decimal_places=3, max_digits=20)),
                ("expires_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "ordering": ("pk",),
            },
        ),
        migrations.AddField(
            model_name="storecreditaccount",
            name="entry_count",
            field=models.BigIntegerField(default=0),
        ),
        _text_limit("storecreditaccount", "note", "storecredit_account_note_length"),
        _text_limit(
            "storecreditentry",
            "customer_note",
            "storecredit_entry_customer_note_length",
        ),
        _text_limit(
            "storecreditentry",
            "internal_note",
            "storecredit_entry_internal_note_length",
        ),
        _text_limit(
            "storecreditwithdrawal",
            "customer_note",
            "storecredit_withdrawal_customer_note_length",
        ),
        _text_limit(
            "storecreditwithdrawal",
            "staff_note",
            "storecredit_withdrawal_staff_note_length",
        ),
        migrations.AddField(
            model_name="storecreditaccountevent",
            name="account",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="events",
                to="storecredit.storecreditaccount",
            ),
        ),
        migrations.AddField(
            model_name="storecreditlotmovement",
            name="entry",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="lot_movements",
                to="storecredit.storecreditentry",
            ),
        ),
        migrations.AddField(
            model_name="storecreditlotmovement",
            name="lot",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="movements",
                to="storecredit.storecreditlot",
            ),
        ),
        migrations.AddIndex(
            model_name="storecreditaccountevent",
            index=models.Index(
                fields=["account", "-id"], name="storecredit_acc_event_hist"
            ),
        ),
        migrations.AddIndex(
            model_name="storecreditlotmovement",
            index=models.Index(fields=["lot"], name="storecredit_movement_lot"),
        ),
        migrations.AddIndex(
            model_name="storecreditlotmovement",
            index=models.Index(fields=["entry"], name="storecredit_movement_entry"),
        ),
    ]
