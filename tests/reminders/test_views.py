"""The reminder settings page is the signed-in person's own; the ledger is the secretariat's."""

import datetime as dt

import pytest
from django.urls import reverse

from negotiations.choices import Role
from reminders.choices import Delivery, ReminderStatus
from reminders.models import Preference, Reminder
from tests.factories import AgreementFactory, RoleAssignmentFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/reminders/settings/"


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_a_person_sees_and_changes_their_own_settings(client, fta):
    client.force_login(fta.li)
    assert client.get(URL).status_code == 200
    response = client.post(
        URL,
        {
            "meetings": Delivery.DIGEST,
            "deadlines": Delivery.OFF,
            "contested_points": Delivery.EACH,
            "commitments": Delivery.EACH,
            "digest_hour": "7",
        },
    )
    assert response.status_code == 302
    preference = Preference.objects.get(user=fta.li)
    assert (preference.meetings, preference.deadlines, preference.digest_hour) == (
        Delivery.DIGEST,
        Delivery.OFF,
        7,
    )


def test_nobody_can_change_another_persons_settings(client, fta):
    client.force_login(fta.sok)
    client.post(
        URL,
        {
            "user": fta.li.pk,
            "meetings": Delivery.OFF,
            "deadlines": Delivery.OFF,
            "contested_points": Delivery.OFF,
            "commitments": Delivery.OFF,
            "digest_hour": "7",
        },
    )
    assert not Preference.objects.filter(user=fta.li).exists()
    assert Preference.objects.get(user=fta.sok).meetings == Delivery.OFF


def test_the_ledger_in_the_admin_is_for_superusers_only(client, fta, django_user_model):
    other = AgreementFactory()
    secretariat = UserFactory(is_staff=True)
    RoleAssignmentFactory(user=secretariat, agreement=fta.agreement, role=Role.SECRETARIAT)
    negotiator_staff = UserFactory(is_staff=True)
    RoleAssignmentFactory(user=negotiator_staff, agreement=fta.agreement, role=Role.NEGOTIATOR)
    moment = dt.datetime(2026, 6, 8, 2, tzinfo=dt.UTC)
    for agreement in [fta.agreement, other]:
        Reminder.objects.create(
            agreement=agreement,
            recipient=fta.sok,
            kind="meeting",
            target_id=agreement.pk,
            offset_days=1,
            target_at=moment,
            due_at=moment,
            send_after=moment,
            status=ReminderStatus.FAILED,
            note=f"451 for {agreement.slug}",
        )
    from django.contrib.auth.models import Permission

    for user in [secretariat, negotiator_staff]:
        user.user_permissions.add(*Permission.objects.filter(content_type__app_label="reminders"))
    url = reverse("admin:reminders_reminder_changelist")

    # The staff flag and the permissions open nothing: the secretariat works in the product.
    for user in [secretariat, negotiator_staff]:
        client.force_login(user)
        assert client.get(url).status_code == 403

    root = django_user_model.objects.create_superuser("root", "root@example.org", "x" * 16)
    client.force_login(root)
    page = client.get(url).content.decode()
    assert f"451 for {fta.agreement.slug}" in page
    assert f"451 for {other.slug}" in page


def test_resend_from_the_admin_puts_failed_reminders_back_in_the_queue(client, fta):
    moment = dt.datetime(2026, 6, 8, 2, tzinfo=dt.UTC)
    failed = Reminder.objects.create(
        agreement=fta.agreement,
        recipient=fta.sok,
        kind="meeting",
        target_id=1,
        offset_days=1,
        target_at=moment,
        due_at=moment,
        send_after=moment,
        status=ReminderStatus.FAILED,
        attempts=8,
    )
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    client.post(
        reverse("admin:reminders_reminder_changelist"),
        {"action": "resend", "_selected_action": [failed.pk]},
    )
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (ReminderStatus.PENDING, 0)
