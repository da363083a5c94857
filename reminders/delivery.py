"""Handing one message to the mail server, knowing what its answer (or silence) means.

A mail server may store a message and lose the connection before it says so (RFC 1047). A
message whose data was sent in full but whose reply never came may therefore have been
delivered: it is reported as unconfirmed, never as a failure to retry. Only a refusal the
server actually gave, or a failure before the end of the data was sent, may be retried.
"""

import contextlib
import email.policy
import re
import select
import smtplib

from django.core.mail.backends.smtp import EmailBackend as SMTPBackend


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


def prepare(message):
    """The message as it goes over SMTP (its headers checked on the way): made once, and
    given to `send` as `prepared`."""
    return message.message(policy=email.policy.SMTP)


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
        sender = backend.prep_address(message.from_email)
        recipients = [backend.prep_address(address) for address in message.recipients()]
        body = (prepared if prepared is not None else prepare(message)).as_bytes()
    except (ValueError, TypeError, UnicodeError) as error:
        raise Unsendable(f"{type(error).__name__}: {error}") from error
    if not recipients:
        raise Unsendable("no recipient")
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
