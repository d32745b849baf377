"""Finding a customer from what a contact brings: a phone, an e-mail, an order number, an ID
or a name (seed 000: the operator opens the customer's card in the CRM).

One search box takes any of them; :func:`plan_search` reads the query and says which keys to
look up. A query may fit several keys (``79161234567`` is a phone and could be an ID): every
key that fits is looked up and the results are merged.

- a phone in any common Russian writing (``+7 916 123-45-67``, ``8 (916) 1234567``,
  ``79161234567``), by the one phone rule (:func:`marketdesk.domain.login.normalize_phone`);
- an e-mail, compared without regard to case;
- an order number as the marketplace prints it (``58561573-0011``);
- a customer ID (digits, 1..``MAX_ID``);
- a name: the beginning of the full name (surname first, as the CRM shows it), ignoring
  case, «ё»/«е» and extra spaces; at least :data:`MIN_NAME_CHARS` letters.
"""

import re
from dataclasses import dataclass
from typing import Final

from marketdesk.domain.ids import MAX_ID
from marketdesk.domain.login import InvalidPhoneNumber, normalize_phone

__all__ = [
    "MAX_QUERY_CHARS",
    "MIN_NAME_CHARS",
    "SearchPlan",
    "SearchQueryError",
    "name_key",
    "plan_search",
]

MAX_QUERY_CHARS: Final = 200
MIN_NAME_CHARS: Final = 2

_ORDER_NUMBER: Final = re.compile(r"\d{4,12}-\d{1,6}")
_EMAIL: Final = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_NOT_NAME: Final = re.compile(r"[^\w\s-]|\d|_")
_SPACES: Final = re.compile(r"[\s-]+")


class SearchQueryError(ValueError):
    """The query cannot be searched for: ``reason`` is ``empty``, ``too_long`` or ``unclear``
    (nothing in it is a phone, an e-mail, an order number, an ID or a name)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class SearchPlan:
    """The keys to look up (None: the query is not such a key)."""

    phone: str | None = None
    email: str | None = None
    order_number: str | None = None
    customer_id: int | None = None
    name_prefix: str | None = None

    @property
    def kinds(self) -> tuple[str, ...]:
        """Which kinds of key the query was read as (for the audit log: never the query)."""
        return tuple(
            kind
            for kind, value in (
                ("phone", self.phone),
                ("email", self.email),
                ("order", self.order_number),
                ("id", self.customer_id),
                ("name", self.name_prefix),
            )
            if value is not None
        )


def name_key(full_name: str) -> str:
    """A name as it is searched: lower case, «ё» as «е», words separated by one space
    (hyphens count as spaces)."""
    folded = full_name.casefold().replace("ё", "е")
    return _SPACES.sub(" ", folded).strip()


def plan_search(query: str) -> SearchPlan:
    """What ``query`` can be; raise :class:`SearchQueryError` when it can be nothing."""
    text = query.strip()
    if not text:
        raise SearchQueryError("empty")
    if len(query) > MAX_QUERY_CHARS:
        raise SearchQueryError("too_long")
    if "@" in text:
        if not _EMAIL.fullmatch(text):
            raise SearchQueryError("unclear")
        return SearchPlan(email=text.lower())
    if _ORDER_NUMBER.fullmatch(text):
        return SearchPlan(order_number=text)
    phone = _phone(text)
    customer_id = (
        int(text) if text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID else None
    )
    name = None
    if not _NOT_NAME.search(text):
        key = name_key(text)
        if len(key.replace(" ", "")) >= MIN_NAME_CHARS:
            name = key
    if phone is None and customer_id is None and name is None:
        raise SearchQueryError("unclear")
    return SearchPlan(phone=phone, customer_id=customer_id, name_prefix=name)


def _phone(text: str) -> str | None:
    try:
        return normalize_phone(text)
    except InvalidPhoneNumber:
        return None
