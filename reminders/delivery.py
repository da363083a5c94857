"""Handing one message to the mail server, knowing what its answer (or silence) means.

A mail server may store a message and lose the connection before it says so (RFC 1047). A
message whose data was sent in full but whose reply never came may therefore have been
delivered: it is reported as unconfirmed, never as a failure to retry. Only a refusal the
server actually gave, or a failure before the end of the data was sent, may be retried.
"""

import binascii
import contextlib
import email.generator
import email.header
import email.message
import email.policy
import email.utils
import io
import re
import select
import smtplib
import uuid
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.mime.text import MIMEText

from django.conf import settings
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.utils import DNS_NAME
from django.utils import timezone

from reminders.choices import Reason


class NotSent(Exception):
    """The server did not take the message. `permanent`: it said it never will (5xx);
    `recipient`: it refused this message's recipient, not the connection or all mail."""

    def __init__(self, reason: str, *, permanent: bool = False, recipient: bool = False):
        super().__init__(reason)
        self.permanent = permanent
        self.recipient = recipient


class Unconfirmed(Exception):
    """The whole message went to the server, and the connection was lost before its reply:
    it may well have been delivered."""


class Unsendable(Exception):
    """This message cannot be sent at all (an address the protocol cannot carry, say)."""


def _refusal(error: smtplib.SMTPException) -> NotSent:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        permanent = bool(codes) and min(codes) >= 500
        return NotSent(
            f"recipient refused: {error.recipients}", permanent=permanent, recipient=True
        )
    if isinstance(error, smtplib.SMTPResponseException):
        return NotSent(f"{error.smtp_code} {error.smtp_error!r}", permanent=error.smtp_code >= 500)
    return NotSent(f"{type(error).__name__}: {error}")


def _rset(smtp):
    # The connection is dropped after any failure anyway.
    with contextlib.suppress(smtplib.SMTPException, OSError):
        smtp.rset()


def _payload(body: bytes) -> bytes:
    """The message as DATA carries it: leading dots doubled, ended by a lone dot."""
    data = re.sub(rb"(?m)^\.", b"..", body)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


# How long a server may take to answer before `waiting` is called.
PATIENCE_SECONDS = 0.05


def _reply(smtp, waiting):
    """The server's reply to the command just sent; `waiting` is called first if it is slow
    to come."""
    if waiting is not None and smtp.sock is not None:
        ready, _, _ = select.select([smtp.sock], [], [], PATIENCE_SECONDS)
        if not ready:
            waiting()
    return smtp.getreply()


def _checked(name: str, value: str) -> str:
    if "\n" in value or "\r" in value:
        raise ValueError(f"a line break in the {name} header")
    return value


def _header(name: str, value: str):
    """A header's value as written: as it is when ASCII, else in RFC 2047 words."""
    _checked(name, value)
    if value.isascii():
        return value
    return email.header.Header(value, "utf-8", header_name=name)


def _ascii_address(address: str) -> str:
    """The address as a header carries it: its domain in IDNA, its local part ASCII only."""
    if address.isascii():
        return address
    local, _at, domain = address.rpartition("@")
    if not local.isascii():
        raise ValueError(f"{address!r}: a local part the protocol cannot carry")
    return f"{local}@{domain.encode('idna').decode('ascii')}"


def _addresses(name: str, addresses) -> str:
    written = []
    for value in addresses:
        display, address = email.utils.parseaddr(_checked(name, str(value)))
        written.append(email.utils.formataddr((display, _ascii_address(address)), "utf-8"))
    return ", ".join(written)


def _text_part(content: str, subtype: str):
    """A text part as Django writes it: ASCII as it is, anything else UTF-8 in
    quoted-printable (encoded by binascii's, as the library's own is written in Python)."""
    if content.isascii():
        return MIMEText(content, subtype, "us-ascii")
    part = MIMENonMultipart("text", subtype, charset="utf-8")
    encoded = binascii.b2a_qp(content.encode(), istext=True).decode("ascii")
    part.set_payload(encoded)
    part["Content-Transfer-Encoding"] = "quoted-printable"
    return part


def prepare(message) -> bytes:
    """The message as it goes over SMTP, with its headers checked on the way: made once, and
    given to `send` as `prepared`."""
    return written(mime(message))


def mime(message) -> email.message.Message:
    """The message's MIME tree: the same structure Django's `message()` makes (the text, its
    HTML alternative, the attachments after them), made with the standard library's
    `email.mime` classes: they take headers as they are given where Django's builder parses
    and folds each one through the header registry, five times as slow, and every reminder
    is a message."""
    body = _text_part(message.body, message.content_subtype)
    if message.alternatives:
        body = MIMEMultipart(
            "alternative",
            _subparts=[body, *(_text_part(a.content, a.mimetype.split("/")[1]) for a in
                               message.alternatives)],
        )  # fmt: skip
    root = body
    if message.attachments:
        if not all(isinstance(part, email.message.Message) for part in message.attachments):
            raise TypeError("attachments are written as MIME parts")
        root = MIMEMultipart("mixed", _subparts=[body, *message.attachments])
    root["Subject"] = _header("Subject", str(message.subject))
    root["From"] = _addresses("From", [message.extra_headers.get("From", message.from_email)])
    if message.to:
        root["To"] = _addresses("To", message.to)
    if message.cc:
        root["Cc"] = _addresses("Cc", message.cc)
    if message.reply_to:
        root["Reply-To"] = _addresses("Reply-To", message.reply_to)
    names = {name.lower() for name in message.extra_headers}
    if "date" not in names:
        moment = timezone.localtime() if settings.EMAIL_USE_LOCALTIME else timezone.now()
        root["Date"] = email.utils.format_datetime(moment)
    if "message-id" not in names:
        root["Message-ID"] = email.utils.make_msgid(domain=DNS_NAME)
    for name, value in message.extra_headers.items():
        if name.lower() == "bcc":
            raise ValueError("Bcc is not a header")
        if name.lower() not in {"from", "to", "cc", "reply-to"}:
            root[name] = _header(name, str(value))
    _set_boundaries(root)
    return root


# Between a message's parts: random once per process, and checked against every text it
# separates (which the library would otherwise do with a regular expression of its own for
# each boundary it draws).
_BOUNDARY = f"=_part_{uuid.uuid4().hex}"


def _set_boundaries(root) -> None:
    leaves = [part.get_payload() for part in root.walk() if not part.is_multipart()]
    if any(_BOUNDARY in text for text in leaves if isinstance(text, str)):
        return  # as unlikely as it is, the library then draws its own
    for depth, part in enumerate(part for part in root.walk() if part.is_multipart()):
        part.set_boundary(f"{_BOUNDARY}_{depth}")


class _Wire(email.policy.Compat32):
    """How the message is written: the standard library's compat32, with lines ended by
    CRLF as SMTP carries them.

    A header whose value is printable ASCII and short enough to need no folding is written
    as it is, which is what the library's folding makes of it (tested against it), without
    running it through the library's `Header` class: a message has some twenty headers, its
    parts' included, and that was most of the time it took to write one."""

    def _fold(self, name, value, sanitize):
        if (
            isinstance(value, str)
            and self.max_line_length is not None
            and len(name) + 2 + len(value) <= self.max_line_length
            and value.isascii()
            and value.isprintable()  # no line break of any kind, no tab
        ):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)


WIRE = _Wire(linesep="\r\n")


class _Writer(email.generator.BytesGenerator):
    """The standard library's writer of a message as bytes (what `as_bytes` uses), writing
    each part's text in one piece: the library writes it line by line, a call and an
    encoding per line, some three hundred per reminder. The same bytes (tested)."""

    def _write_lines(self, lines):
        if lines:
            self.write(email.generator.NLCRE.sub(self._NL, lines))


def written(root) -> bytes:
    """A MIME tree as bytes: what the standard library writes of it with compat32 and CRLF
    (`root.as_bytes(policy=email.policy.compat32.clone(linesep="\\r\\n"))`), faster."""
    out = io.BytesIO()
    _Writer(out, mangle_from_=False, policy=WIRE).flatten(root, unixfrom=False)
    return out.getvalue()


def _envelope_sender(backend, address: str) -> str:
    """The sender as the envelope carries it: worked out once per connection, as every
    message of a batch has the same."""
    known = backend.__dict__.setdefault("_envelope_senders", {})
    if address not in known:
        known[address] = backend.prep_address(address)
    return known[address]


def send(backend, message, *, before_data=lambda: None, prepared=None, waiting=None) -> None:
    """Send one message over this open backend, or raise NotSent, Unconfirmed or Unsendable.

    `before_data` runs once the server has taken the sender and recipient and before the
    message data goes: the moment from which a lost connection leaves the outcome unknown.
    `prepared` is the message as `prepare` made it, when it was made already. `waiting` is
    called whenever the server is slow to answer the sender or a recipient (so it must be
    harmless to call again).
    """
    if not isinstance(backend, SMTPBackend):
        # Another kind of backend (files, memory, console) has no unknown outcome.
        before_data()
        backend.send_messages([message])
        return
    try:
        sender = _envelope_sender(backend, message.from_email)
        recipients = [backend.prep_address(address) for address in message.recipients()]
        body = prepared if prepared is not None else prepare(message)
    except (ValueError, TypeError, UnicodeError) as error:
        raise Unsendable(f"{type(error).__name__}: {error}") from error
    if not recipients:
        raise Unsendable(Reason.NO_RECIPIENT)
    smtp = backend.connection
    try:
        smtp.ehlo_or_helo_if_needed()
        size = f" size={len(body)}" if smtp.does_esmtp and smtp.has_extn("size") else ""
        smtp.putcmd("mail", f"from:{smtplib.quoteaddr(sender)}{size}")
        code, reply = _reply(smtp, waiting)
        if code != 250:
            _rset(smtp)
            raise smtplib.SMTPSenderRefused(code, reply, sender)
        refused = {}
        for recipient in recipients:
            smtp.putcmd("rcpt", f"to:{smtplib.quoteaddr(recipient)}")
            code, reply = _reply(smtp, waiting)
            if code not in (250, 251):
                refused[recipient] = (code, reply)
        if len(refused) == len(recipients):
            _rset(smtp)
            raise smtplib.SMTPRecipientsRefused(refused)
        before_data()
        smtp.putcmd("data")
        code, reply = smtp.getreply()
        if code != 354:
            _rset(smtp)
            raise smtplib.SMTPDataError(code, reply)
        # A failure while sending leaves the final dot unsent: the server discards the part.
        smtp.send(_payload(body))
    except smtplib.SMTPException as error:
        raise _refusal(error) from error
    except OSError as error:
        raise NotSent(f"{type(error).__name__}: {error}") from error
    # From here on the server has the whole message: only its reply says what it did.
    try:
        code, reply = smtp.getreply()
    except (smtplib.SMTPServerDisconnected, OSError) as error:
        raise Unconfirmed(f"no reply after the message was sent: {error}") from error
    if code != 250:
        _rset(smtp)
        raise _refusal(smtplib.SMTPDataError(code, reply))
