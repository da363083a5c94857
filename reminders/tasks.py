"""Celery tasks: thin, taking ids; the ledger makes running any of them twice harmless."""

from celery import shared_task

from reminders import services

# After a database error, the unsent part of a batch is run again this soon.
INTERRUPTED_RETRY_SECONDS = 1


@shared_task(ignore_result=True)
def scan_reminders():
    """Beat's every-minute scan: fill the ledger, then queue what is due in batches."""
    for reminder_ids in services.scan():
        send_reminders.delay(reminder_ids)


@shared_task(ignore_result=True)
def forget_deleted_targets():
    """Beat's daily sweep of the revisions of targets deleted since."""
    services.forget_deleted_targets()


@shared_task(bind=True, ignore_result=True, max_retries=None)
def send_reminders(self, reminder_ids, claim=None, accepted=()):
    """Send one batch over one SMTP connection; retry what the mail server put off, and
    hand back at once what a database error interrupted.

    The batch's claim is its task's id, the same in every retry and redelivery of it: a run
    again takes back at once what an earlier one claimed and never handed over.
    """
    claim = claim or self.request.id
    try:
        outcome = services.send_reminders(
            reminder_ids=reminder_ids, claim=claim, accepted=list(accepted)
        )
    except services.Interrupted as interrupted:
        raise self.retry(
            args=[interrupted.unsent],
            kwargs={"claim": claim, "accepted": interrupted.accepted},
            countdown=INTERRUPTED_RETRY_SECONDS,
        ) from interrupted
    if outcome.retry:
        # The ledger decides when to give up, visibly; Celery only waits and calls again.
        raise self.retry(args=[outcome.retry], kwargs={"claim": claim}, countdown=outcome.retry_in)
