"""What goes over SMTP: the message `delivery.prepare` writes is, read back, the very email
Django's own builder makes of it (its parts, their contents, the headers that matter), in
every language, for single reminders and digests, with their calendar entries."""

import datetime as dt
import email
import email.policy
import string

import hypothesis
import hypothesis.strategies as st
import pytest
from django.core.mail import EmailMultiAlternatives

from reminders import delivery, services
from reminders.emails import Parts, build_message
from reminders.models import Reminder
from tests.factories import MembershipFactory, UserFactory
from tests.reminders.conftest import make_meeting

pytestmark = pytest.mark.django_db

UTC = dt.UTC
MEETING_AT = dt.datetime(2026, 6, 9, 2, 0, tzinfo=UTC)
NOW = MEETING_AT - dt.timedelta(days=1)
HEADERS = ("Subject", "From", "To", "Message-ID", "Auto-Submitted", "List-Unsubscribe")


def read(raw: bytes):
    message = email.message_from_bytes(raw, policy=email.policy.default)
    parts = [
        (
            part.get_content_type(),
            part.get_param("method"),
            part.get_filename(),
            None if part.is_multipart() else part.get_content(),
        )
        for part in message.walk()
    ]
    return {name: str(message[name]) for name in HEADERS}, parts


def django_wrote(message) -> bytes:
    return message.message(policy=email.policy.SMTP).as_bytes()


def messages(fta, *, digest=False):
    MembershipFactory(
        working_group=fta.group,
        user=UserFactory(
            username="srey", first_name="ស្រីមុំ", last_name="ចាន់", language="km",
            time_zone="Asia/Phnom_Penh",
        ),
    )  # fmt: skip
    MembershipFactory(
        working_group=fta.group,
        user=UserFactory(username="amp", first_name="Ben & <Jerry>", language="en"),
    )
    make_meeting(fta, MEETING_AT, title="原产地规则 · វិធានប្រភពដើម")
    make_meeting(fta, MEETING_AT + dt.timedelta(hours=3), title="Second call", is_cancelled=True)
    services.scan(now=NOW)
    reminders = list(Reminder.objects.select_related("recipient").order_by("recipient", "pk"))
    targets = services._targets(reminders)
    with Parts():
        if digest:
            by_person = {}
            for reminder in reminders:
                by_person.setdefault(reminder.recipient_id, []).append(reminder)
            built = []
            for group in by_person.values():
                for reminder in group:
                    reminder.digest = True
                items = [(r, targets[(r.kind, r.target_id)]) for r in group]
                built.append(build_message(recipient=group[0].recipient, items=items, now=NOW))
            return built
        return [
            build_message(
                recipient=r.recipient, items=[(r, targets[(r.kind, r.target_id)])], now=NOW
            )
            for r in reminders
        ]


@pytest.mark.parametrize("digest", [False, True], ids=["one reminder each", "digests"])
def test_the_message_on_the_wire_is_the_one_django_would_write(fta, digest):
    built = messages(fta, digest=digest)
    assert {m.to[0].split("@")[0] for m in built} >= {"sok", "li", "srey", "amp"}

    for message in built:
        ours = delivery.prepare(message)
        assert read(ours) == read(django_wrote(message))
        lines = ours.split(b"\r\n")
        assert b"\n" not in b"".join(lines)  # every line ends in CRLF
        assert max(len(line) for line in lines) <= 998
        assert ours.isascii() or b"Content-Transfer-Encoding: 8bit" in ours


@pytest.mark.parametrize("digest", [False, True], ids=["one reminder each", "digests"])
def test_the_bytes_are_those_the_standard_library_writes(fta, digest):
    """The quicker writer (headers that need no folding, text in one piece) changes nothing
    of what goes over the wire, in any language, folded headers and all."""
    library = email.policy.compat32.clone(linesep="\r\n")
    built = messages(fta, digest=digest)
    long_subject = EmailMultiAlternatives(
        subject="Agenda " * 30, body="Line one\nLine two\r\n.\n\n", to=["a@example.org"],
        headers={"X-Exactly-78": "x" * (78 - len("X-Exactly-78: ")), "X-Empty": ""},
    )  # fmt: skip
    for message in [*built, long_subject]:
        tree = delivery.mime(message)
        assert delivery.written(tree) == tree.as_bytes(policy=library)
    assert b"Agenda Agenda\r\n Agenda" in delivery.prepare(long_subject)  # folded, as ever


@hypothesis.settings(max_examples=400, deadline=None)
@hypothesis.given(
    name=st.sampled_from(["Subject", "To", "X-Exactly-Sixty-Chars", "List-Unsubscribe"]),
    value=st.text(alphabet=st.characters(codec="utf-8"), max_size=120)
    | st.text(alphabet=string.printable, max_size=90),
)
def test_a_header_is_folded_as_the_library_folds_it(name, value):
    def folded(policy):
        try:
            return policy.fold_binary(name, value)
        except Exception as refusal:  # what the library refuses, refused alike
            return type(refusal)

    library = email.policy.compat32.clone(linesep="\r\n")
    assert folded(delivery.WIRE) == folded(library)


def test_text_parts_are_quoted_printable_in_lines_of_76(fta):
    for message in messages(fta):
        raw = email.message_from_bytes(delivery.prepare(message), policy=email.policy.default)
        for part in raw.walk():
            if part.get_content_type() in ("text/plain", "text/html"):
                payload = part.get_payload()
                if part["Content-Transfer-Encoding"] == "quoted-printable":
                    assert max(len(line) for line in payload.splitlines()) <= 76
                else:
                    assert payload.isascii()


def test_a_header_with_a_line_break_is_refused():
    message = EmailMultiAlternatives(
        subject="Agenda\nBcc: everyone@example.org", body="…", to=["a@example.org"]
    )
    with pytest.raises(ValueError, match="line break"):
        delivery.prepare(message)
    message = EmailMultiAlternatives(subject="Agenda", body="…", to=["a@example.org\r\nX: y"])
    with pytest.raises(ValueError, match="line break"):
        delivery.prepare(message)


def test_addresses_go_in_ascii_or_not_at_all():
    message = EmailMultiAlternatives(
        subject="Agenda", body="…", from_email="ក្រសួង <tracker@example.org>",
        to=["sok@ក្រសួង.example"],
    )  # fmt: skip
    headers, _parts = read(delivery.prepare(message))
    assert headers["To"] == "sok@" + "ក្រសួង.example".encode("idna").decode()
    assert headers["To"].isascii()
    assert headers["From"] == "ក្រសួង <tracker@example.org>"

    message.to = ["សុខ@example.org"]
    with pytest.raises(ValueError, match="local part"):
        delivery.prepare(message)
