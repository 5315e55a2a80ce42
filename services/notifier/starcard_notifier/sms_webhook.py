"""The provider's inbound-SMS webhook: a client's STOP or START reply, kept on their number.

``POST /v1/sms/inbound`` takes Twilio's inbound form (``From``, ``Body``, ...), refuses (403) a
request without a valid ``X-Twilio-Signature`` (see ``starcard_notifier.twilio_signature``), and
records STOP (STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT) or START (UNSTOP, YES) on the number's
`SmsOptOut`, which every client with that number shares. Any other text is acknowledged and
ignored. It answers an empty TwiML ``<Response/>``: the provider sends its own confirmation.

It runs in the notifier's process, beside the consumer and the dispatcher, because the notifier's
store is where the opt-out lives and the import contracts let no other package reach into it (the
gateway reaches a service only through a public module, and the notifier has none). Neither the
number nor the text is logged.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from datetime import datetime
from urllib.parse import parse_qsl

import structlog
import uvicorn
from starcard_runtime.clock import wall_clock
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from starcard_notifier.application import NotifierService
from starcard_notifier.domain.sms_opt_out import reply_in
from starcard_notifier.settings import SMS_WEBHOOK_PATH
from starcard_notifier.twilio_signature import HEADER, is_signed

__all__ = ["MAX_BODY_BYTES", "SmsWebhook", "inbound_sms_app"]

log = structlog.get_logger(__name__)

MAX_BODY_BYTES = 16 * 1024
"""An inbound text's form is well under this; anything larger is refused before parsing."""

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def inbound_sms_app(
    service: NotifierService,
    *,
    url: str,
    auth_token: str,
    clock: Callable[[], datetime] = wall_clock,
) -> Starlette:
    """The webhook's ASGI app; `url` is the one the provider signs, `clock` stamps replies."""

    async def inbound(request: Request) -> Response:
        body = await _capped_body(request)
        if body is None:
            return Response(status_code=413)
        params = parse_qsl(body.decode(errors="replace"), keep_blank_values=True)
        if not is_signed(url, params, auth_token, request.headers.get(HEADER)):
            log.warning("inbound SMS refused: no valid signature")
            return Response(status_code=403)
        fields = dict(params)
        reply = reply_in(fields.get("Body", ""))
        phone = fields.get("From")
        if reply is not None and phone:
            await asyncio.to_thread(service.record_sms_reply, phone, reply, clock(), source="reply")
            log.info("SMS reply recorded", reply=reply.value)
        return Response(EMPTY_TWIML, media_type="text/xml")

    return Starlette(routes=[Route(SMS_WEBHOOK_PATH, inbound, methods=["POST"])])


async def _capped_body(request: Request) -> bytes | None:
    """The request's body, or None as soon as it passes `MAX_BODY_BYTES` (whether or not it
    said its length: a chunked body is counted as it streams in, never held whole)."""
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > MAX_BODY_BYTES:
            return None
    return bytes(received)


class _Embedded(uvicorn.Server):
    """A uvicorn server inside the service's event loop: the process's own SIGTERM handling
    stops it (through `stop`), so it installs no signal handlers of its own."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class SmsWebhook:
    """The webhook served on `host`:`port` for as long as the service runs (a companion)."""

    def __init__(self, app: Starlette, *, host: str, port: int) -> None:
        self.server = _Embedded(
            uvicorn.Config(app, host=host, port=port, log_config=None, lifespan="off")
        )

    async def run(self, stop: asyncio.Event) -> None:
        serving = asyncio.create_task(self.server.serve())
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        self.server.should_exit = True
        stopping.cancel()
        await serving
