"""Real servers the adapters talk to: an SMTP server (aiosmtpd) that keeps what it received,
and an HTTP SMS gateway that records each request and, like a provider honouring
``Idempotency-Key``, accepts a key once (a repeat is answered 200 and not delivered again);
it answers a taken message with its id of it (``{"status": "ok", "id": "gw-…"}``, the same
id for a repeat), which its delivery reports name."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

__all__ = [
    "GatewayRequest",
    "PushService",
    "SmsGateway",
    "SmtpSink",
    "free_port",
    "push_service",
    "sms_gateway",
    "smtp_sink",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class SmtpSink:
    port: int = 0
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        letter = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(letter, EmailMessage)
        self.messages.append(letter)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


@contextmanager
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@dataclass(frozen=True)
class GatewayRequest:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class SmsGateway:
    url: str = ""
    requests: list[GatewayRequest] = field(default_factory=list)
    delivered: dict[str, GatewayRequest] = field(default_factory=dict)
    answers: list[int] = field(default_factory=list)
    """Statuses to answer next, in order (then 200)."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    ids: dict[str, str] = field(default_factory=dict)
    """Idempotency key → the gateway's id of the message."""

    def accept(self, request: GatewayRequest) -> int:
        with self.lock:
            self.requests.append(request)
            status = self.answers.pop(0) if self.answers else 200
            key = request.headers.get("idempotency-key", "")
            if status == 200 and key not in self.delivered:
                self.delivered[key] = request
                self.ids[key] = f"gw-{len(self.ids) + 1}"
            return status

    def answer(self, request: GatewayRequest, status: int) -> bytes:
        if status != 200:
            return b'{"status": "error"}'
        with self.lock:
            key = request.headers.get("idempotency-key", "")
            return json.dumps({"status": "ok", "id": self.ids.get(key)}).encode()


@contextmanager
def sms_gateway() -> Iterator[SmsGateway]:
    gateway = SmsGateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = GatewayRequest(
                self.path, {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length)
            )
            status = gateway.accept(request)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(gateway.answer(request, status))

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    gateway.url = f"http://127.0.0.1:{server.server_address[1]}/send"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()


def slow_gateway(gateway: SmsGateway, seconds: float) -> None:
    """Make every answer of ``gateway`` take ``seconds`` (a batch is in flight for a while)."""
    accept = gateway.accept

    def slow(request: GatewayRequest) -> int:
        import time

        time.sleep(seconds)
        return accept(request)

    gateway.accept = slow  # type: ignore[method-assign]


@dataclass
class PushService:
    """A push service (RFC 8030) as the server sees one: records every request; answers 201,
    or the status set for a path (404/410: the subscription is gone)."""

    origin: str = ""
    requests: list[GatewayRequest] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def endpoint(self, name: str) -> str:
        return f"{self.origin}/push/{name}"

    def accept(self, request: GatewayRequest) -> int:
        with self.lock:
            self.requests.append(request)
            return self.statuses.get(request.path, 201)

    def to(self, name: str) -> list[GatewayRequest]:
        with self.lock:
            return [r for r in self.requests if r.path == f"/push/{name}"]


@contextmanager
def push_service() -> Iterator[PushService]:
    service = PushService()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = GatewayRequest(
                self.path, {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length)
            )
            self.send_response(service.accept(request))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    service.origin = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()
