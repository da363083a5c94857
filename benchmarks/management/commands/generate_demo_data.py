import time

from django.core.management.base import BaseCommand

from benchmarks.generator import SMALL, Size, analyze, clear, generate


class Command(BaseCommand):
    help = (
        "Generate a large, deterministic portfolio of invented agreements for measuring the "
        "tracker at scale (by default 50 agreements, 3,000 chapters, 60,000 status changes, "
        "20,000 meetings and deadlines, 2,000 people). Replaces an earlier generated set."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2020)
        parser.add_argument("--agreements", type=int, default=Size.agreements)
        parser.add_argument("--people", type=int, default=Size.people)
        parser.add_argument("--small", action="store_true", help="A tiny set, for a quick look.")
        parser.add_argument("--clear", action="store_true", help="Only remove generated data.")

    def handle(self, *args, seed, agreements, people, small, **options):
        if options["clear"]:
            clear()
            self.stdout.write(self.style.SUCCESS("Generated data removed."))
            return
        size = SMALL if small else Size(agreements=agreements, people=people)
        started = time.monotonic()
        counts = generate(size, seed=seed)
        analyze()
        elapsed = time.monotonic() - started
        for name, count in counts.items():
            self.stdout.write(f"  {name:<18} {count:>8,}")
        self.stdout.write(self.style.SUCCESS(f"Generated in {elapsed:.1f} s (seed {seed})."))
