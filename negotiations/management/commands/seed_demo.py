from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from negotiations.demo import (
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    DEMO_TOTP_SECRET,
    demo_totp_code,
    seed_demo,
)


class Command(BaseCommand):
    help = (
        "Development only: create one account per role and an invented ongoing negotiation "
        "whose meetings and deadlines fall in the coming days. Refuses to run unless DEBUG is on. "
        "With --codes, only print the code each demo authenticator shows now."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--codes",
            action="store_true",
            help="Print the current two-step verification code of the demo accounts that need "
            "one, and change nothing.",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Demo accounts are never created in production (DEBUG is off).")
        if options["codes"]:
            self._print_codes()
            return
        users = seed_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo accounts (password: {DEMO_PASSWORD}):"))
        two_step = []
        for user in users:
            needs_code = demo_totp_code(user) is not None
            if needs_code:
                two_step.append(user.username)
            note = " (two-step verification: see below)" if needs_code else ""
            self.stdout.write(f"  {user.username}{note}")
        if two_step:
            self.stdout.write(
                f"{', '.join(two_step)} sign in with a code as well. Add this demo secret to an "
                f"authenticator app (time-based, 6 digits, 30 seconds): {DEMO_TOTP_SECRET}\n"
                "or print the current codes with: DEBUG=1 python manage.py seed_demo --codes"
            )

    def _print_codes(self):
        usernames = [account[0] for account in DEMO_ACCOUNTS]
        users = get_user_model().objects.filter(username__in=usernames).order_by("username")
        codes = [(user.username, demo_totp_code(user)) for user in users]
        codes = [(username, code) for username, code in codes if code]
        if not codes:
            raise CommandError("No demo account has an authenticator: run seed_demo first.")
        for username, code in codes:
            self.stdout.write(f"  {username}: {code}")
        self.stdout.write("Each code is good for about 30 seconds, once.")
