from django.db import migrations, models

# As the scan and the sender wrote them when withdrawing a reminder that a newer one replaced.
REPLACED_BECAUSE = ("target moved", "changed again", "superseded")


def mark_replaced(apps, schema_editor):
    """Reminders withdrawn for a newer one were "not sent", listed as needing attention."""
    Reminder = apps.get_model("reminders", "Reminder")
    Reminder.objects.filter(status="skipped", note__in=REPLACED_BECAUSE).update(status="replaced")


def unmark_replaced(apps, schema_editor):
    Reminder = apps.get_model("reminders", "Reminder")
    Reminder.objects.filter(status="replaced").update(status="skipped")


class Migration(migrations.Migration):
    dependencies = [
        ("reminders", "0005_batch_claim_order"),
    ]

    operations = [
        migrations.AlterField(
            model_name="reminder",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Pending"),
                    ("sending", "Being sent"),
                    ("sent", "Sent"),
                    ("unconfirmed", "Sent, unconfirmed"),
                    ("failed", "Failed"),
                    ("skipped", "Not sent"),
                    ("replaced", "Replaced by a newer one"),
                ],
                default="pending",
                max_length=12,
                verbose_name="status",
            ),
        ),
        migrations.RunPython(mark_replaced, unmark_replaced),
    ]
