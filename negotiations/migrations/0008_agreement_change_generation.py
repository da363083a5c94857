from django.db import migrations, models

import negotiations.models


class Migration(migrations.Migration):
    dependencies = [
        ("negotiations", "0007_single_line_fields"),
    ]

    operations = [
        migrations.AddField(
            model_name="agreement",
            name="change_generation",
            field=models.PositiveBigIntegerField(
                default=negotiations.models.first_generation,
                editable=False,
                verbose_name="change generation",
            ),
        ),
    ]
