from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from negotiations.scenario import load_scenario_file

DEFAULT = Path(settings.BASE_DIR) / "fixtures" / "cambodia_china_fta.json"


class Command(BaseCommand):
    help = (
        "Load a negotiation scenario (by default the Cambodia–China FTA seed). "
        "Idempotent: running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(DEFAULT), type=Path)

    def handle(self, *args, path, **options):
        agreement = load_scenario_file(path)
        self.stdout.write(self.style.SUCCESS(f"Loaded {agreement.name}."))
