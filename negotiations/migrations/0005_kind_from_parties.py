"""Agreements made before their kind was recorded took "bilateral" by default: those with more
than two parties at the table are plurilateral."""

from django.db import migrations
from django.db.models import Count


def kind_from_parties(apps, schema_editor):
    Agreement = apps.get_model("negotiations", "Agreement")
    many = Agreement.objects.annotate(seated=Count("delegations")).filter(seated__gt=2)
    Agreement.objects.filter(pk__in=many.values("pk")).update(kind="plurilateral")


class Migration(migrations.Migration):
    dependencies = [("negotiations", "0004_constraint_messages")]

    operations = [migrations.RunPython(kind_from_parties, migrations.RunPython.noop)]
