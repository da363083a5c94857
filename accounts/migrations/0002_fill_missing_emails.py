"""Every person has an email address of their own, compared without regard to case.

Accounts made before this rule (the administration site's "Add user" had no email field) may
have none: each gets an address at the reserved `.invalid` domain, which no mail server accepts,
so the secretariat sees who must be given a real one and no reminder goes astray meanwhile.
Addresses that differ only in case are told apart the same way.
"""

from django.db import migrations, models
from django.db.models.functions import Lower


def fill_missing_emails(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    seen = set()
    for user in User.objects.order_by("pk"):
        email = (user.email or "").strip()
        if not email or email.lower() in seen:
            email = f"{user.username}.{user.pk}@missing-email.invalid"
            user.email = email
            user.save(update_fields=["email"])
        seen.add(email.lower())


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.RunPython(fill_missing_emails, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                Lower("email"), name="one_person_per_email_ignoring_case"
            ),
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.CheckConstraint(
                condition=~models.Q(email=""), name="every_person_has_an_email"
            ),
        ),
    ]
