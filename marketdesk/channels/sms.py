"""SMS gateways: where the outbox hands a text message over for delivery.

A gateway is anything with ``async send(phone, text)`` that raises on failure. Two come with
marketdesk:

- :class:`FileSmsGateway` (the default, for the demo and development): appends every message
  to ``sms-demo.log`` in the data dir, a file only its owner can read (0600). A demo user
  reads their login code there.
- :class:`MemorySmsGateway`: keeps the messages in memory (tests, scripts).

Real gateways (HTTP APIs of SMS providers) are adapters of the same shape.
"""

from __future__ import annotations

import asyncio
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from marketdesk.services.sms_outbox import SmsGateway
from marketdesk.store.models import utcnow

__all__ = [
    "DEMO_LOG_NAME",
    "FileSmsGateway",
    "MemorySmsGateway",
    "SentSms",
    "SmsGateway",
    "read_demo_log",
]

DEMO_LOG_NAME = "sms-demo.log"


@dataclass(frozen=True, slots=True)
class SentSms:
    phone: str
    text: str
    at: datetime


class FileSmsGateway:
    """Appends each message as one line ``<time>\\t<phone>\\t<text>`` to a 0600 file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    async def send(self, phone: str, text: str) -> None:
        line = "\t".join((utcnow().isoformat(timespec="seconds"), phone, _one_line(text)))
        await asyncio.to_thread(self._append, line + "\n")

    def _append(self, line: str) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.fchmod(fd, 0o600)  # a file left by an older version, or made under a loose umask
            os.write(fd, line.encode())
        finally:
            os.close(fd)


@dataclass
class MemorySmsGateway:
    """Keeps what it was given (``sent``), newest last."""

    sent: list[SentSms] = field(default_factory=list)

    async def send(self, phone: str, text: str) -> None:
        self.sent.append(SentSms(phone, text, utcnow()))

    def last_to(self, phone: str) -> str | None:
        for sms in reversed(self.sent):
            if sms.phone == phone:
                return sms.text
        return None


def read_demo_log(path: Path) -> list[SentSms]:
    """The messages a :class:`FileSmsGateway` wrote, oldest first."""
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        at, _, rest = line.partition("\t")
        phone, _, text = rest.partition("\t")
        if phone:
            out.append(SentSms(phone, text, datetime.fromisoformat(at)))
    return out


def _one_line(text: str) -> str:
    return re.sub(r"[\t\r\n]+", " ", text)
