"""The development SMTP server keeps what it receives, and hands it back to tests and people."""

from __future__ import annotations

import asyncio
import os
import smtplib
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import pytest
from starcard_notifier.mailbox import Mailbox, MailboxServer, code_in, text_of

from tests.support.processes import free_port, running

from .conftest import exactly

pytestmark = pytest.mark.integration


def message(to: str, code: str, message_id: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = "Starcard <rewards@starcard.local>"
    email["To"] = to
    email["Subject"] = "A thank-you from Café Sérénité"
    email["Message-ID"] = message_id
    email.set_content(f"Your code: {code}\n10% off your next booking.\nÀ bientôt!")
    email.add_alternative(f"<p>Your code: <b>{code}</b></p>", subtype="html")
    return email


async def test_the_mailbox_keeps_each_message_whole_in_arrival_order(
    mailbox_dir: Path, mailbox_server: MailboxServer
) -> None:
    await aiosmtplib.send(
        message("ada@example.com", "LOYAL-AAAA2222", "<1@test>"),
        hostname="127.0.0.1",
        port=mailbox_server.port,
    )
    await aiosmtplib.send(
        message("bo@example.com", "LOYAL-BBBB3333", "<2@test>"),
        hostname="127.0.0.1",
        port=mailbox_server.port,
    )

    kept = Mailbox(mailbox_dir).messages()

    assert [(m["To"], m["Message-ID"], code_in(m)) for m in kept] == [
        ("ada@example.com", "<1@test>", "LOYAL-AAAA2222"),
        ("bo@example.com", "<2@test>", "LOYAL-BBBB3333"),
    ]
    assert kept[0]["Subject"] == "A thank-you from Café Sérénité"
    assert "À bientôt!" in text_of(kept[0])
    assert [path.suffix for path in Mailbox(mailbox_dir).paths()] == [".eml", ".eml"]

    Mailbox(mailbox_dir).clear()
    assert Mailbox(mailbox_dir).messages() == []


def test_list_prints_who_each_message_is_for_and_its_code(
    mailbox_dir: Path, mailbox_server: MailboxServer
) -> None:
    with smtplib.SMTP("127.0.0.1", mailbox_server.port) as smtp:
        smtp.send_message(message("ada@example.com", "LOYAL-AAAA2222", "<1@test>"))

    listed = subprocess.run(  # noqa: S603 - our own module, run as a person would
        [sys.executable, "-m", "starcard_notifier.mailbox", "list", "--dir", str(mailbox_dir)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout

    assert "To:         ada@example.com" in listed
    assert "Message-ID: <1@test>" in listed
    assert "Code:       LOYAL-AAAA2222" in listed
    assert "Subject:    A thank-you from Café Sérénité" in listed
    assert "1 message(s)" in listed


async def test_the_mailbox_process_serves_until_it_is_stopped(tmp_path: Path) -> None:
    port = free_port()
    folder = tmp_path / "served"
    env = {**os.environ, "STARCARD_SMTP_PORT": str(port), "STARCARD_MAILBOX_DIR": str(folder)}
    with running("starcard_notifier.mailbox", env) as mailbox:
        await send_once_listening(message("cy@example.com", "LOYAL-CCCC4444", "<3@test>"), port)
        mailbox.assert_alive()

    [kept] = exactly(Mailbox(folder).messages(), 1)
    assert code_in(kept) == "LOYAL-CCCC4444"


async def send_once_listening(email: EmailMessage, port: int, within: float = 20.0) -> None:
    """Send as soon as the server, still starting, accepts connections."""
    deadline = time.monotonic() + within
    while True:
        try:
            await aiosmtplib.send(email, hostname="127.0.0.1", port=port, timeout=2)
        except (aiosmtplib.SMTPConnectError, OSError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)
        else:
            return
