"""The guard of the buyer ↔ seller chat (issue 14, item 2): nobody takes the deal outside the
platform.

Seed 001: the buyer writes to the seller «в чате Ozon» about the goods and the delivery; seed
000's official-sender rules: staff never ask to pay by a link or refund through a third party.
So in this chat, in both directions, a message with a contact or payment details is refused and
nothing of it is stored:

* ``phone`` — a full Russian phone number (the privacy guard's rule: masked, toll-free and the
  company's published numbers pass);
* ``email`` — an e-mail address;
* ``card`` — a bank card number (13–19 digits passing the Luhn check);
* ``account`` — a 20-digit bank account number (the Bank of Russia's format).

The text is normalised as the privacy guard does (full-width digits, zero-width characters,
separators between digits), so «8 9 1 6…» or «ivan＠mail.ru» are found too.
"""

import re
from enum import StrEnum
from typing import Final

from marketdesk.domain.privacy import PrivacyViolationCode, check_outgoing_text, normalise

__all__ = ["ContactKind", "contacts_in"]


class ContactKind(StrEnum):
    """What may not be exchanged in the buyer ↔ seller chat."""

    PHONE = "phone"
    EMAIL = "email"
    CARD = "card"
    ACCOUNT = "account"


_EMAIL: Final = re.compile(r"[\w.+\-]+\s?@\s?[\w\-]+(?:\.[\w\-]+)+")
_ACCOUNT: Final = re.compile(r"(?<!\d)\d{5}[ -]?\d{3}[ -]?\d[ -]?\d{4}[ -]?\d{7}(?!\d)")
_BY_VIOLATION: Final = {
    PrivacyViolationCode.FULL_PHONE_NUMBER: ContactKind.PHONE,
    PrivacyViolationCode.FULL_CARD_NUMBER: ContactKind.CARD,
}


def contacts_in(text: str) -> tuple[ContactKind, ...]:
    """The kinds of contact or payment details in ``text`` (each once, in a fixed order);
    empty when it may be sent."""
    found: set[ContactKind] = set()
    for violation in check_outgoing_text(text):
        kind = _BY_VIOLATION.get(violation.code)
        if kind is not None:
            found.add(kind)
    plain = normalise(text)[0].replace("＠", "@")
    if _EMAIL.search(plain):
        found.add(ContactKind.EMAIL)
    if _ACCOUNT.search(plain):
        found.add(ContactKind.ACCOUNT)
    return tuple(kind for kind in ContactKind if kind in found)
