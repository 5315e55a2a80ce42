"""The development and test SMTP server: a real one (aiosmtpd) that keeps what it receives.

Every message it accepts is written to its folder as an ``.eml`` file (the bytes as received),
named so that listing the folder gives them in arrival order. `Mailbox` reads them back.

    python -m starcard_notifier.mailbox serve   # listen on 127.0.0.1:$STARCARD_SMTP_PORT (2525)
    python -m starcard_notifier.mailbox list    # From, To, Subject, Message-ID and code of each
    python -m starcard_notifier.mailbox         # the same as serve

The folder is ``$STARCARD_MAILBOX_DIR`` (default ``.run/mailbox``). The server listens on
127.0.0.1 only and delivers nothing anywhere: it is a sink for the notifier in development.
"""

from __future__ import annotations

import argparse
import re
import signal
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from aiosmtpd.controller import Controller

from starcard_notifier.settings import NotifierSettings

CODE_PATTERN = re.compile(r"\b[A-Z]+-[A-Z0-9]{8}\b")
"""A discount code as the notification contract spells it (``LOYAL-XXXXXXXX``)."""

SERVER_HOSTNAME = "mailbox.starcard.local"


class KeepMessages:
    """aiosmtpd handler: write each message's bytes to ``folder`` as one ``.eml`` file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        content: bytes = envelope.original_content or envelope.content
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"
        partial = self.folder / f".{name}.part"
        partial.write_bytes(content)
        # A rename is atomic: a reader sees the whole message or none of it.
        partial.replace(self.folder / f"{name}.eml")
        return "250 Message kept"


class MailboxServer:
    """An SMTP server on 127.0.0.1:`port` that keeps messages in `folder`, in its own thread.

    Use as a context manager, or call `start` and `stop`.
    """

    def __init__(self, folder: Path | str, port: int, host: str = "127.0.0.1") -> None:
        self.folder = Path(folder)
        self.host = host
        self.port = port
        self._controller = Controller(
            KeepMessages(self.folder),
            hostname=host,
            port=port,
            server_hostname=SERVER_HOSTNAME,
            enable_SMTPUTF8=True,
        )

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class Mailbox:
    """The messages a `MailboxServer` kept in `folder`, oldest first."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)

    def paths(self) -> list[Path]:
        return sorted(self.folder.glob("*.eml")) if self.folder.is_dir() else []

    def messages(self) -> list[EmailMessage]:
        parser = BytesParser(policy=policy.default)
        parsed = [parser.parsebytes(path.read_bytes()) for path in self.paths()]
        return [message for message in parsed if isinstance(message, EmailMessage)]

    def clear(self) -> None:
        """Delete every kept message."""
        for path in self.paths():
            path.unlink(missing_ok=True)


def text_of(message: EmailMessage) -> str:
    """The plain-text body of a message (empty when it has none)."""
    body = message.get_body(preferencelist=("plain",))
    return body.get_content() if isinstance(body, EmailMessage) else ""


def code_in(message: EmailMessage) -> str | None:
    """The discount code a reward email carries, if any."""
    found = CODE_PATTERN.search(text_of(message))
    return found.group(0) if found else None


def _serve(folder: Path, port: int) -> None:
    stopped = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopped.set())
    with MailboxServer(folder, port) as server:
        sys.stderr.write(
            f"mailbox: listening on {server.host}:{server.port}, keeping messages in {folder}\n"
        )
        stopped.wait()


def _list(folder: Path) -> None:
    messages = Mailbox(folder).messages()
    for message in messages:
        sys.stdout.write(
            f"Date:       {message['Date']}\n"
            f"From:       {message['From']}\n"
            f"To:         {message['To']}\n"
            f"Subject:    {message['Subject']}\n"
            f"Message-ID: {message['Message-ID']}\n"
            f"Code:       {code_in(message) or '-'}\n\n"
        )
    sys.stdout.write(f"{len(messages)} message(s) in {folder}\n")


def main(argv: Sequence[str] | None = None) -> None:
    settings = NotifierSettings()
    parser = argparse.ArgumentParser(
        prog="python -m starcard_notifier.mailbox",
        description="The development SMTP server that keeps what it receives.",
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=settings.mailbox_dir,
        help="the folder of kept messages (default: $STARCARD_MAILBOX_DIR or .run/mailbox)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=settings.smtp_port,
        help="the port to serve on (default: $STARCARD_SMTP_PORT or 2525)",
    )
    parser.add_argument(
        "command",
        nargs="?",
        choices=("serve", "list"),
        default="serve",
        help="serve: receive mail on 127.0.0.1 until stopped (the default); "
        "list: print From, To, Subject, Message-ID and code of each message kept",
    )
    args = parser.parse_args(argv)
    if args.command == "list":
        _list(args.dir)
    else:
        _serve(args.dir, args.port)


if __name__ == "__main__":
    main()
