"""The development and test SMS provider: a sink that speaks Twilio's Messages API.

The notifier's real adapter (``starcard_notifier.sms.TwilioSender``) talks to it as to Twilio:

    POST /2010-04-01/Accounts/{AccountSid}/Messages.json   To, From, Body (form), basic auth
    GET  /messages                                         every message kept, oldest first
    POST /reply   {"from": "+447700900123", "body": "STOP"}   a client's reply

Each message accepted is written to its folder as a ``.json`` file, named so that listing the
folder gives them in arrival order; `Smsbox` reads them back. A reply is forwarded, signed with
the auth token as Twilio signs it, to the notifier's inbound webhook; like Twilio, the sink also
remembers a STOP itself (until START) and refuses further messages to that number with error
21610. It listens on 127.0.0.1 only and delivers nothing anywhere.

    python -m starcard_notifier.smsbox serve         # on 127.0.0.1:$STARCARD_SMSBOX_PORT (8026)
    python -m starcard_notifier.smsbox list          # To, Body of each message kept
    python -m starcard_notifier.smsbox reply +447700900123 STOP

The folder is ``$STARCARD_SMSBOX_DIR`` (default ``.run/smsbox``); the account, token, sender and
webhook are the notifier's (``STARCARD_SMS_*``).
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import signal
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl

import httpx

from starcard_notifier.domain.sms_opt_out import Reply, phone_number, reply_in
from starcard_notifier.settings import NotifierSettings
from starcard_notifier.sms import UNSUBSCRIBED_RECIPIENT
from starcard_notifier.twilio_signature import HEADER, signature

__all__ = ["Smsbox", "SmsboxServer"]

MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages\.json$")
MAX_BODY_BYTES = 64 * 1024


class Smsbox:
    """The messages an `SmsboxServer` kept in `folder`, oldest first (each a dict: ``sid``,
    ``to``, ``from``, ``body``, ``idempotency_key``, ``received_at``)."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)

    def paths(self) -> list[Path]:
        return sorted(self.folder.glob("*.json")) if self.folder.is_dir() else []

    def messages(self) -> list[dict[str, Any]]:
        return [json.loads(path.read_text()) for path in self.paths()]

    def keep(self, message: dict[str, Any]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"
        partial = self.folder / f".{name}.part"
        partial.write_text(json.dumps(message, indent=2))
        # A rename is atomic: a reader sees the whole message or none of it.
        partial.replace(self.folder / f"{name}.json")

    def clear(self) -> None:
        """Delete every kept message."""
        for path in self.paths():
            path.unlink(missing_ok=True)


class SmsboxServer:
    """The sink on 127.0.0.1:`port`, keeping messages in `folder`, in its own thread.

    `auth_token` checks the senders' basic auth and signs replies; replies go to `webhook_url`
    (none: they are only remembered) as texts to `number`. Use as a context manager, or call
    `start` and `stop`.
    """

    def __init__(
        self,
        folder: Path | str,
        port: int,
        *,
        auth_token: str,
        webhook_url: str | None = None,
        number: str = "+15005550006",
        host: str = "127.0.0.1",
    ) -> None:
        self.box = Smsbox(folder)
        self.host = host
        self.port = port
        self.auth_token = auth_token
        self.webhook_url = webhook_url
        self.number = number
        self.stopped: set[str] = set()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        self.box.folder.mkdir(parents=True, exist_ok=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

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

    # -- what the endpoints do -----------------------------------------------------------------

    def authorised(self, account: str, authorization: str | None) -> bool:
        expected = base64.b64encode(f"{account}:{self.auth_token}".encode()).decode()
        return authorization == f"Basic {expected}"

    def accept(self, form: dict[str, str], idempotency_key: str | None) -> tuple[int, object]:
        """A message sent: kept (201 and its sid), or refused as Twilio refuses it."""
        to, body = form.get("To"), form.get("Body")
        if not to or not body or not form.get("From"):
            return HTTPStatus.BAD_REQUEST, {"code": 21604, "message": "To, From and Body needed"}
        with self._lock:
            if phone_number(to) in self.stopped:
                return HTTPStatus.BAD_REQUEST, {
                    "code": UNSUBSCRIBED_RECIPIENT,
                    "message": "Attempt to send to unsubscribed recipient",
                    "status": HTTPStatus.BAD_REQUEST,
                }
        sid = f"SM{uuid.uuid4().hex}"
        message = {
            "sid": sid,
            "to": to,
            "from": form["From"],
            "body": body,
            "idempotency_key": idempotency_key,
            "received_at": datetime.now(UTC).isoformat(),
        }
        self.box.keep(message)
        return HTTPStatus.CREATED, message | {"status": "queued"}

    def reply(self, phone: str, body: str) -> tuple[int, object]:
        """A client's text: remembered if STOP or START, and forwarded, signed, to the webhook."""
        with self._lock:
            match reply_in(body):
                case Reply.STOP:
                    self.stopped.add(phone_number(phone))
                case Reply.START:
                    self.stopped.discard(phone_number(phone))
                case None:
                    pass
        if self.webhook_url is None:
            return HTTPStatus.OK, {"forwarded": None}
        form = {
            "MessageSid": f"SM{uuid.uuid4().hex}",
            "From": phone,
            "To": self.number,
            "Body": body,
        }
        headers = {HEADER: signature(self.webhook_url, form.items(), self.auth_token)}
        try:
            answer = httpx.post(self.webhook_url, data=form, headers=headers, timeout=10.0)
        except httpx.HTTPError as error:
            unreachable = f"the webhook could not be reached ({type(error).__name__})"
            return HTTPStatus.BAD_GATEWAY, {"forwarded": None, "error": unreachable}
        return HTTPStatus.OK, {"forwarded": answer.status_code}


def _handler(sink: SmsboxServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/messages":
                self._answer(HTTPStatus.NOT_FOUND, {"message": "not found"})
                return
            self._answer(HTTPStatus.OK, sink.box.messages())

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                self._answer(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"message": "too large"})
                return
            raw = self.rfile.read(length).decode()
            if self.path == "/reply":
                asked = json.loads(raw or "{}")
                self._answer(*sink.reply(str(asked.get("from", "")), str(asked.get("body", ""))))
                return
            found = MESSAGES_PATH.match(self.path)
            if found is None:
                self._answer(HTTPStatus.NOT_FOUND, {"message": "not found"})
            elif not sink.authorised(found["account"], self.headers.get("Authorization")):
                self._answer(HTTPStatus.UNAUTHORIZED, {"code": 20003, "message": "Authenticate"})
            else:
                form = dict(parse_qsl(raw, keep_blank_values=True))
                self._answer(*sink.accept(form, self.headers.get("Idempotency-Key")))

        def _answer(self, status: int, body: object) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: a request line may name a number."""

    return Handler


def _serve(settings: NotifierSettings, folder: Path, port: int) -> None:
    stopped = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopped.set())
    sink = SmsboxServer(
        folder,
        port,
        auth_token=settings.sms_auth_token or "",
        webhook_url=settings.inbound_sms_url if settings.sms_auth_token else None,
        number=settings.sms_from or "+15005550006",
    )
    with sink:
        sys.stderr.write(f"smsbox: listening on {sink.url}, keeping messages in {folder}\n")
        stopped.wait()


def _list(folder: Path) -> None:
    messages = Smsbox(folder).messages()
    for message in messages:
        sys.stdout.write(f"To:   {message['to']}\nBody: {message['body']}\n\n")
    sys.stdout.write(f"{len(messages)} message(s) in {folder}\n")


def _reply(port: int, phone: str, body: str) -> None:
    answer = httpx.post(
        f"http://127.0.0.1:{port}/reply", json={"from": phone, "body": body}, timeout=15.0
    )
    sys.stdout.write(f"{answer.status_code} {answer.text}\n")


def main(argv: Sequence[str] | None = None) -> None:
    settings = NotifierSettings()
    parser = argparse.ArgumentParser(
        prog="python -m starcard_notifier.smsbox",
        description="The development SMS provider that keeps what it receives.",
    )
    parser.add_argument("--dir", type=Path, default=settings.smsbox_dir)
    parser.add_argument("--port", type=int, default=settings.smsbox_port)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="receive texts on 127.0.0.1 until stopped (the default)")
    commands.add_parser("list", help="print To and Body of each message kept")
    reply = commands.add_parser("reply", help="a client's reply, forwarded to the webhook")
    reply.add_argument("phone")
    reply.add_argument("body")
    args = parser.parse_args(argv)
    if args.command == "list":
        _list(args.dir)
    elif args.command == "reply":
        _reply(args.port, args.phone, args.body)
    else:
        _serve(settings, args.dir, args.port)


if __name__ == "__main__":
    main()
