"""Celery tasks: thin, taking ids; the ledger makes running any of them twice harmless."""

from celery import shared_task

from reminders import services


@shared_task(ignore_result=True)
def scan_reminders():
    """Beat's every-minute scan: fill the ledger, then queue what is due in batches."""
    for reminder_ids in services.scan():
        send_reminders.delay(reminder_ids)


@shared_task(bind=True, ignore_result=True, max_retries=None)
def send_reminders(self, reminder_ids):
    """Send one batch over one SMTP connection; retry what the mail server put off."""
    outcome = services.send_reminders(reminder_ids=reminder_ids)
    if outcome.retry:
        # The ledger counts attempts and gives up visibly; Celery only waits and calls again.
        raise self.retry(args=[outcome.retry], countdown=outcome.retry_in)
