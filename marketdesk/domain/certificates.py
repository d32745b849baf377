"""Gift certificates («Подарочные сертификаты»): activation, money life time, spending.

Seed 000, «Подарочный сертификат»:

* «код активации уникален, им можно воспользоваться только 1 раз»;
* «Номинал сертификата автоматически зачисляется на Баланс средств и хранятся 3 года»;
* «Активировать сертификат можно только на регистрацию физического лица»;
* «В день можно активировать не более 3-х сертификатов. Ограничение спадает в
  течение 24 часов»;
* «Сертификат нельзя аннулировать»; «Нельзя списать с Баланса средств
  начисленные, но ещё не потраченные средства»; «Нельзя переводить средства с
  одного Баланса средств на другой» (see :mod:`marketdesk.domain.withdrawal`);
* «Нельзя оплачивать сертификаты Ozon любыми баллами или бонусами, оформлять в
  рассрочку или в кредит»;
* spendable on everything «кроме полиса ОСАГО и товаров из разделов «Цифровые
  книги», «Подарочные сертификаты»»;
* «СОТРУДНИКУ КЦ ЗАПРЕЩЕНО САМОСТОЯТЕЛЬНО АКТИВИРОВАТЬ СЕРТИФИКАТ В ЛК КЛИЕНТА!»

Decisions where the seed is not exact:

* «не более 3-х в день … спадает в течение 24 часов» is a rolling 24-hour
  window: an activation counts while ``now - activated_at < 24 h``; at exactly
  24 hours it has left the window.
* «хранятся 3 года» is three calendar years from activation (29 February →
  28 February); the money is no longer available from that instant on.
* An activation code's own expiry is not given by the seed; the caller passes
  it (``None`` means no expiry). At exactly ``certificate_expires_at`` the code
  is expired.
* Order of refusals: legal entity (nothing would work for the account), then the
  code (unknown, already used, expired), then the daily limit, so that a
  customer is never told to wait for a code that would fail anyway.
"""

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from marketdesk.domain._time import require_aware

__all__ = [
    "ACTIVATION_WINDOW",
    "BALANCE_MONEY_KEEPS",
    "BALANCE_MONEY_KEEPS_YEARS",
    "CERTIFICATE_DAILY_LIMIT",
    "FORBIDDEN_CERTIFICATE_PAYMENT_METHODS",
    "NOT_PAYABLE_WITH_CERTIFICATE_MONEY",
    "OPERATOR_MAY_NOT_ACTIVATE_RU",
    "REFUSAL_MESSAGES_RU",
    "ActivationActor",
    "ActivationDecision",
    "CertificateRefusal",
    "CertificateStatus",
    "PaymentMethod",
    "PurchaseKind",
    "actor_may_activate",
    "certificate_money_can_pay_for",
    "certificate_money_expires_at",
    "certificate_payment_allowed",
    "check_activation",
    "hash_certificate_code",
    "normalize_certificate_code",
]

CERTIFICATE_DAILY_LIMIT: Final = 3
"""Seed 000: «В день можно активировать не более 3-х сертификатов»."""
ACTIVATION_WINDOW: Final = timedelta(hours=24)
"""Seed 000: «Ограничение спадает в течение 24 часов»."""
BALANCE_MONEY_KEEPS_YEARS: Final = 3
"""Seed 000: the nominal goes to the balance and «хранятся 3 года»."""
BALANCE_MONEY_KEEPS: Final = BALANCE_MONEY_KEEPS_YEARS
"""Alias of :data:`BALANCE_MONEY_KEEPS_YEARS` (calendar years, not a fixed timedelta)."""


class CertificateStatus(StrEnum):
    """State of a known certificate code. There is no «annulled»: a certificate cannot be."""

    ISSUED = "issued"
    ACTIVATED = "activated"


class CertificateRefusal(StrEnum):
    """Why an activation is refused."""

    UNKNOWN_CODE = "unknown_code"
    ALREADY_USED = "already_used"
    DAILY_LIMIT = "daily_limit"
    LEGAL_ENTITY = "legal_entity"
    EXPIRED = "expired"


REFUSAL_MESSAGES_RU: Final = MappingProxyType(
    {
        CertificateRefusal.UNKNOWN_CODE: (
            "Сертификат с таким кодом не найден. Проверьте, пожалуйста, правильно ли введён "
            "код активации."
        ),
        CertificateRefusal.ALREADY_USED: (
            "Этот сертификат уже активирован: код активации можно использовать только один раз."
        ),
        CertificateRefusal.DAILY_LIMIT: (
            "За сутки можно активировать не более трёх сертификатов. Ограничение снимается "
            "в течение суток — пожалуйста, попробуйте активировать сертификат позже."
        ),
        CertificateRefusal.LEGAL_ENTITY: (
            "Сертификат можно активировать только в аккаунте физического лица."
        ),
        CertificateRefusal.EXPIRED: (
            "Срок действия этого сертификата истёк, активировать его нельзя."
        ),
    }
)

_ALLOWED_MESSAGE_RU: Final = (
    "Сертификат можно активировать: его номинал будет зачислен на Баланс средств "
    "и будет храниться там три года."
)

OPERATOR_MAY_NOT_ACTIVATE_RU: Final = (
    "Сотруднику поддержки запрещено самостоятельно активировать сертификат в личном "
    "кабинете клиента. Клиент вводит код активации сам."
)


class ActivationActor(StrEnum):
    """Who is trying to activate a certificate."""

    CUSTOMER = "customer"
    OPERATOR = "operator"
    BOT = "bot"


def actor_may_activate(actor: ActivationActor) -> bool:
    """Only the customer activates a certificate; an operator never does it for them (seed 000)."""
    return ActivationActor(actor) is ActivationActor.CUSTOMER


@dataclass(frozen=True, slots=True)
class ActivationDecision:
    """Result of :func:`check_activation`."""

    allowed: bool
    refusal: CertificateRefusal | None
    message_ru: str
    retry_at: datetime | None = None
    """For ``daily_limit``: when the oldest counted activation leaves the 24-hour window."""


def _refuse(refusal: CertificateRefusal, retry_at: datetime | None = None) -> ActivationDecision:
    return ActivationDecision(False, refusal, REFUSAL_MESSAGES_RU[refusal], retry_at)


def check_activation(
    *,
    certificate_status: CertificateStatus | None,
    certificate_expires_at: datetime | None,
    customer_is_individual: bool,
    recent_activations: Sequence[datetime],
    now: datetime,
) -> ActivationDecision:
    """Decide whether the customer may activate the certificate now.

    ``certificate_status`` is ``None`` when no certificate has the entered code.
    ``recent_activations`` are the customer's earlier activation times (any
    number, any order; those outside the 24-hour window are ignored).
    """
    require_aware(now, "now")
    if not customer_is_individual:
        return _refuse(CertificateRefusal.LEGAL_ENTITY)
    if certificate_status is None:
        return _refuse(CertificateRefusal.UNKNOWN_CODE)
    if CertificateStatus(certificate_status) is CertificateStatus.ACTIVATED:
        return _refuse(CertificateRefusal.ALREADY_USED)
    if certificate_expires_at is not None:
        require_aware(certificate_expires_at, "certificate_expires_at")
        if now >= certificate_expires_at:
            return _refuse(CertificateRefusal.EXPIRED)
    window_start = now - ACTIVATION_WINDOW
    in_window = sorted(
        at for at in recent_activations if require_aware(at, "recent_activations") > window_start
    )
    if len(in_window) >= CERTIFICATE_DAILY_LIMIT:
        # After this activation leaves the window fewer than the limit remain.
        blocking = in_window[len(in_window) - CERTIFICATE_DAILY_LIMIT]
        return _refuse(CertificateRefusal.DAILY_LIMIT, blocking + ACTIVATION_WINDOW)
    return ActivationDecision(True, None, _ALLOWED_MESSAGE_RU, None)


def certificate_money_expires_at(activated_at: datetime) -> datetime:
    """When money from a certificate activated at ``activated_at`` stops being kept (3 years)."""
    require_aware(activated_at, "activated_at")
    year = activated_at.year + BALANCE_MONEY_KEEPS_YEARS
    try:
        return activated_at.replace(year=year)
    except ValueError:  # 29 February and the target year is not a leap year
        return activated_at.replace(year=year, day=28)


_DASHES: Final = frozenset("-‐‑‒–—―−_")


def normalize_certificate_code(raw: str) -> str:
    """Canonical form of an entered code: no whitespace or dashes, upper case.

    ``normalize_certificate_code(" abcd-efgh 1234 ") == "ABCDEFGH1234"``.
    """
    return "".join(ch for ch in raw if not ch.isspace() and ch not in _DASHES).upper()


def hash_certificate_code(code: str, secret: bytes) -> str:
    """HMAC-SHA256 (hex) of the normalised code, so that codes are never stored in clear.

    The code is normalised first, so «abcd-1234» and «ABCD1234» give the same hash.
    """
    if not secret:
        raise ValueError("secret must not be empty")
    normalized = normalize_certificate_code(code)
    return hmac.new(secret, normalized.encode("utf-8"), hashlib.sha256).hexdigest()


class PurchaseKind(StrEnum):
    """What an order pays for, as far as certificate money is concerned."""

    GOODS = "goods"
    TRAVEL_TICKETS = "travel_tickets"
    OSAGO = "osago"
    DIGITAL_BOOKS = "digital_books"
    GIFT_CERTIFICATES = "gift_certificates"


NOT_PAYABLE_WITH_CERTIFICATE_MONEY: Final = frozenset(
    {PurchaseKind.OSAGO, PurchaseKind.DIGITAL_BOOKS, PurchaseKind.GIFT_CERTIFICATES}
)
"""Seed 000: everything «кроме полиса ОСАГО и товаров из разделов «Цифровые книги»,
«Подарочные сертификаты»» (air and rail tickets on Travel are explicitly allowed)."""


def certificate_money_can_pay_for(category_kind: PurchaseKind) -> bool:
    """Whether balance money from a certificate can pay for ``category_kind``."""
    return PurchaseKind(category_kind) not in NOT_PAYABLE_WITH_CERTIFICATE_MONEY


class PaymentMethod(StrEnum):
    """Ways to pay for an order."""

    BANK_CARD = "bank_card"
    OZON_ACCOUNT = "ozon_account"
    E_WALLET = "e_wallet"
    CASH_ON_DELIVERY = "cash_on_delivery"
    POINTS = "points"
    BONUSES = "bonuses"
    PREMIUM_POINTS = "premium_points"
    INSTALMENT = "instalment"
    CREDIT = "credit"


FORBIDDEN_CERTIFICATE_PAYMENT_METHODS: Final = frozenset(
    {
        PaymentMethod.POINTS,
        PaymentMethod.BONUSES,
        PaymentMethod.PREMIUM_POINTS,
        PaymentMethod.INSTALMENT,
        PaymentMethod.CREDIT,
    }
)
"""Seed 000: certificates cannot be paid «любыми баллами или бонусами»,
«в рассрочку или в кредит»."""


def certificate_payment_allowed(method: PaymentMethod) -> bool:
    """Whether a gift certificate itself may be bought with ``method``."""
    return PaymentMethod(method) not in FORBIDDEN_CERTIFICATE_PAYMENT_METHODS
