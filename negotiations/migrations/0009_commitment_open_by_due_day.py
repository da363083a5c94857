from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("negotiations", "0008_agreement_change_generation"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="commitment",
            index=models.Index(
                condition=models.Q(("status__in", ("pledged", "in_progress"))),
                fields=["meeting", "due_on"],
                name="commitment_open_by_due_day",
            ),
        ),
    ]
