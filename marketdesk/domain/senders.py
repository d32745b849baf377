"""The official senders: the e-mail addresses the marketplace's mail comes from, each with
its role. One list (``MARKETDESK_OFFICIAL_SENDERS``) used both to send (the notification
catalogue names a role, the outbox takes its address) and by the phishing check («это наше
письмо?» is answered against the same addresses). Pure: no I/O.

Seed 000: «Наши рассылки приходят от имени OZON.RU. Пример: mailer@ozon.ru — уведомления о
доставке заказа и о входе в аккаунт, news@news.ozon.ru — рассылка с акциями, noreply@ozon.ru
— чеки по заказу». Those are the defaults.

The setting is ``role=address`` pairs separated by ``;`` or ``,``:
``notifications=mailer@ozon.ru; marketing=news@news.ozon.ru; receipts=noreply@ozon.ru``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

__all__ = [
    "DEFAULT_SENDERS",
    "ROLE_DESCRIPTIONS_RU",
    "OfficialSender",
    "SenderList",
    "SenderRole",
    "parse_senders",
]


class SenderRole(StrEnum):
    NOTIFICATIONS = "notifications"
    MARKETING = "marketing"
    RECEIPTS = "receipts"


ROLE_DESCRIPTIONS_RU: Final = MappingProxyType(
    {
        SenderRole.NOTIFICATIONS: "уведомления о доставке заказа и о входе в аккаунт",
        SenderRole.MARKETING: "рассылка с акциями",
        SenderRole.RECEIPTS: "чеки по заказу",
    }
)
"""Seed 000: what each address sends."""


@dataclass(frozen=True, slots=True)
class OfficialSender:
    role: SenderRole
    address: str

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]

    @property
    def description_ru(self) -> str:
        return ROLE_DESCRIPTIONS_RU[self.role]


@dataclass(frozen=True, slots=True)
class SenderList:
    senders: tuple[OfficialSender, ...]

    def address(self, role: SenderRole) -> str:
        for sender in self.senders:
            if sender.role is role:
                return sender.address
        raise KeyError(role)

    def find(self, address: str) -> OfficialSender | None:
        address = address.strip().lower()
        for sender in self.senders:
            if sender.address == address:
                return sender
        return None

    @property
    def addresses(self) -> tuple[str, ...]:
        return tuple(sender.address for sender in self.senders)

    def listed_ru(self) -> str:
        """«a, b и c»: the addresses for a sentence."""
        items = list(self.addresses)
        return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " и " + items[-1]


DEFAULT_SENDERS: Final = SenderList(
    (
        OfficialSender(SenderRole.NOTIFICATIONS, "mailer@ozon.ru"),
        OfficialSender(SenderRole.MARKETING, "news@news.ozon.ru"),
        OfficialSender(SenderRole.RECEIPTS, "noreply@ozon.ru"),
    )
)

_ADDRESS = re.compile(r"[a-z0-9._+\-]{1,64}@[a-z0-9\-]{1,63}(\.[a-z0-9\-]{1,63})+")


def parse_senders(text: str) -> SenderList:
    """``role=address`` pairs; every role exactly once. Raises ``ValueError`` otherwise."""
    found: dict[SenderRole, str] = {}
    for part in re.split(r"[;,]", text):
        if not part.strip():
            continue
        role_text, sep, address = part.partition("=")
        address = address.strip().lower()
        try:
            role = SenderRole(role_text.strip().lower())
        except ValueError:
            raise ValueError(f"unknown sender role {role_text.strip()!r}") from None
        if not sep or not _ADDRESS.fullmatch(address):
            raise ValueError(f"not an e-mail address for {role.value}: {address!r}")
        if role in found:
            raise ValueError(f"sender role {role.value} given twice")
        found[role] = address
    missing = [role.value for role in SenderRole if role not in found]
    if missing:
        raise ValueError(f"official senders missing: {', '.join(missing)}")
    return SenderList(tuple(OfficialSender(role, found[role]) for role in SenderRole))
