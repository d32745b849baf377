"""Identity checks by the operator (issue 14, item 5) and the customer's devices.

Seed 001: a customer gives «кодовое слово, которое будет использоваться при обращении в
службу поддержки»; «Что делать, если я забыл кодовое слово … Обратитесь в службу поддержки
Ozon. Вам потребуется пройти процедуру идентификации.»

The codeword is compared as people say it: case, «ё»/«е» and the spaces between words do
not matter. The seeds give no length, no number of misses and no lock time: the caller
passes them from the settings (``MARKETDESK_CODEWORD_*``). Pure rules, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Final

__all__ = [
    "IDENTITY_ACTION_TITLES_RU",
    "MAX_CODEWORD_CHARS",
    "CodewordState",
    "IdentityAction",
    "codeword_problem",
    "device_label",
    "normalize_codeword",
]

MAX_CODEWORD_CHARS: Final = 64
"""A technical limit: a word or a short phrase said over the line."""


class IdentityAction(StrEnum):
    """What staff may do for a customer only after a passed identity check in the
    conversation."""

    REVEAL_CONTACTS = "reveal_contacts"
    CHANGE_LOGIN_PHONE = "change_login_phone"
    SUPPORT_WITHDRAWAL = "support_withdrawal"


IDENTITY_ACTION_TITLES_RU: Final = MappingProxyType(
    {
        IdentityAction.REVEAL_CONTACTS: "сообщить клиенту его контакты",
        IdentityAction.CHANGE_LOGIN_PHONE: "сменить телефон для входа",
        IdentityAction.SUPPORT_WITHDRAWAL: "оформить вывод средств через поддержку",
    }
)

_SPACES = re.compile(r"\s+")


def normalize_codeword(raw: str) -> str:
    """The form that is hashed and compared: lower case, «ё» as «е», single spaces, no
    spaces at the ends («  Синий  Кит » and «синий кит» are the same word)."""
    return _SPACES.sub(" ", raw.casefold().replace("ё", "е")).strip()


def codeword_problem(raw: str, *, min_chars: int) -> str | None:
    """Why ``raw`` cannot be a codeword (Russian, for the customer), or None."""
    word = normalize_codeword(raw)
    if len(word) < min_chars:
        return f"Кодовое слово должно быть не короче {min_chars} символов."
    if len(word) > MAX_CODEWORD_CHARS:
        return f"Кодовое слово должно быть не длиннее {MAX_CODEWORD_CHARS} символов."
    if not any(ch.isalpha() for ch in word):
        return "Кодовое слово должно содержать буквы: его произносят вслух."
    return None


@dataclass(frozen=True, slots=True)
class CodewordState:
    """The misses since the last match and the lock after too many of them."""

    misses: int
    locked_until: datetime | None

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now

    def current(self, now: datetime) -> CodewordState:
        """A lock that ran out starts the count again."""
        if self.locked_until is not None and self.locked_until <= now:
            return CodewordState(0, None)
        return self

    def after_check(
        self, passed: bool, now: datetime, *, max_misses: int, lock_for: timedelta
    ) -> CodewordState:
        """A match clears the misses; the ``max_misses``-th miss locks for ``lock_for``."""
        if passed:
            return CodewordState(0, None)
        misses = self.current(now).misses + 1
        if misses >= max_misses:
            return CodewordState(misses, now + lock_for)
        return CodewordState(misses, None)

    def misses_left(self, now: datetime, *, max_misses: int) -> int:
        state = self.current(now)
        return 0 if state.locked(now) else max(max_misses - state.misses, 0)


_BROWSERS: Final = (
    ("YaBrowser", "Яндекс Браузер"),
    ("Edg", "Edge"),
    ("OPR", "Opera"),
    ("Firefox", "Firefox"),
    ("Chrome", "Chrome"),
    ("Safari", "Safari"),
)
_SYSTEMS: Final = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def device_label(user_agent: str | None) -> str:
    """A short name of a device a person recognises in their list: «Chrome, Windows»."""
    agent = user_agent or ""
    browser = next((name for key, name in _BROWSERS if key in agent), None)
    system = next((name for key, name in _SYSTEMS if key in agent), None)
    if browser and system:
        return f"{browser}, {system}"
    return browser or system or "Неизвестное устройство"
