from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from negotiations.demo import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = (
        "Development only: create one account per role and an invented ongoing negotiation "
        "whose meetings and deadlines fall in the coming days. Refuses to run unless DEBUG is on."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Demo accounts are never created in production (DEBUG is off).")
        users = seed_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo accounts (password: {DEMO_PASSWORD}):"))
        for user in users:
            self.stdout.write(f"  {user.username}")
