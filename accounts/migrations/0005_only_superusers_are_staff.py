"""Only superusers are staff: the administration site is theirs alone.

Accounts of the secretariat were once given the staff flag and a place in a "Secretariat" group
holding every permission of the tracker's models, the accounts' included, which let an officer
of one agreement reach every other through the administration site. Nothing in the tracker needs
either any more: the flag is taken from everyone who is no superuser, and the group, where a
database still has it, keeps its members but no permission.
"""

from django.db import migrations

SECRETARIAT_GROUP = "Secretariat"


def only_superusers_are_staff(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    Group = apps.get_model("auth", "Group")
    User.objects.filter(is_staff=True, is_superuser=False).update(is_staff=False)
    for group in Group.objects.filter(name=SECRETARIAT_GROUP):
        group.permissions.clear()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_session_epoch"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        # Not undone: nobody should be given the flag back by rolling a release back.
        migrations.RunPython(only_superusers_are_staff, migrations.RunPython.noop),
    ]
