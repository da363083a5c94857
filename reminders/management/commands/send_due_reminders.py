from django.core.management.base import BaseCommand

from reminders import services


class Command(BaseCommand):
    help = "Run the reminder scan and send what is due now, without Celery (for cron)."

    def handle(self, *args, **options):
        totals = services.Outcome()
        for reminder_ids in services.scan():
            outcome = services.send_reminders(reminder_ids=reminder_ids)
            totals.sent += outcome.sent
            totals.skipped += outcome.skipped
            totals.failed += outcome.failed
            totals.retry += outcome.retry
            totals.unconfirmed += outcome.unconfirmed
        self.stdout.write(
            f"{len(totals.sent)} sent, {len(totals.skipped)} no longer needed, "
            f"{len(totals.retry)} to retry, {len(totals.failed)} failed, "
            f"{len(totals.unconfirmed)} sent but unconfirmed"
        )
