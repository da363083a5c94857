"""A local SMTP server for development: prints every message it receives, keeps a copy.

    python scripts/mail_sink.py PORT [DIRECTORY]

Each message is summarised on the console (from, to, subject, the plain-text part and the
names of its attachments) and saved whole as DIRECTORY/<n>.eml (default var/mail).
"""

import email
import email.policy
import sys
import time
from pathlib import Path

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent


class PrintingHandler:
    def __init__(self, directory: Path):
        self.directory = directory
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        path = self.directory / f"{time.strftime('%Y%m%d-%H%M%S')}-{self.count}.eml"
        path.write_bytes(envelope.content)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(("plain",))
        attachments = [part.get_filename() for part in message.iter_attachments()]
        rule = "-" * 78
        print(
            f"\n{rule}\nMail #{self.count} (saved as {path})\n"
            f"From: {message['From']}\nTo: {message['To']}\nSubject: {message['Subject']}\n"
            + (f"Attachments: {', '.join(attachments)}\n" if attachments else "")
            + f"\n{body.get_content().strip() if body else ''}\n{rule}",
            flush=True,
        )
        return "250 Message accepted"


def main(argv) -> int:
    port = int(argv[0])
    directory = Path(argv[1]) if len(argv) > 1 else ROOT / "var" / "mail"
    directory.mkdir(parents=True, exist_ok=True)
    controller = Controller(PrintingHandler(directory), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"Mail sink on 127.0.0.1:{port}: messages are printed here", file=sys.stderr)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        controller.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
