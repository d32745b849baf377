"""Gift-certificate rules (seed 000, «Подарочный сертификат»)."""

import hashlib
import hmac
from datetime import UTC, datetime, timedelta, timezone

import pytest

from marketdesk.domain.certificates import (
    ACTIVATION_WINDOW,
    BALANCE_MONEY_KEEPS_YEARS,
    CERTIFICATE_DAILY_LIMIT,
    REFUSAL_MESSAGES_RU,
    ActivationActor,
    ActivationDecision,
    CertificateRefusal,
    CertificateStatus,
    PaymentMethod,
    PurchaseKind,
    actor_may_activate,
    certificate_money_can_pay_for,
    certificate_money_expires_at,
    certificate_payment_allowed,
    check_activation,
    hash_certificate_code,
    normalize_certificate_code,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
US = timedelta(microseconds=1)
R = CertificateRefusal


def activate(
    recent: list[datetime],
    *,
    status: CertificateStatus | None = CertificateStatus.ISSUED,
    expires_at: datetime | None = None,
    individual: bool = True,
    now: datetime = NOW,
) -> ActivationDecision:
    return check_activation(
        certificate_status=status,
        certificate_expires_at=expires_at,
        customer_is_individual=individual,
        recent_activations=recent,
        now=now,
    )


def test_limits_from_the_seed() -> None:
    assert CERTIFICATE_DAILY_LIMIT == 3
    assert ACTIVATION_WINDOW.total_seconds() == 24 * 60 * 60
    assert BALANCE_MONEY_KEEPS_YEARS == 3


@pytest.mark.parametrize(
    ("recent", "allowed", "retry_at"),
    [
        ([], True, None),
        ([NOW - H], True, None),
        ([NOW - H, NOW - 2 * H], True, None),  # the 3rd activation in 24 h
        ([NOW - H, NOW - 2 * H, NOW - 3 * H], False, NOW + 21 * H),  # the 4th
        ([NOW - 24 * H, NOW - H, NOW - 2 * H], True, None),  # exactly 24 h ago: out
        ([NOW - 24 * H + US, NOW - H, NOW - 2 * H], False, NOW + US),  # just inside
        ([NOW - 25 * H, NOW - 30 * H, NOW - 48 * H, NOW - H], True, None),
        ([NOW - H, NOW - 5 * H, NOW - 3 * H], False, NOW + 19 * H),  # any order
        ([NOW - H, NOW - 2 * H, NOW - 3 * H, NOW - 4 * H], False, NOW + 21 * H),
        ([NOW, NOW, NOW], False, NOW + 24 * H),
    ],
    ids=[
        "first",
        "second",
        "third-in-24h",
        "fourth-in-24h",
        "oldest-exactly-24h-ago",
        "oldest-24h-minus-1us",
        "old-ones-ignored",
        "unsorted",
        "four-already-counted",
        "three-just-now",
    ],
)
def test_daily_limit(recent: list[datetime], allowed: bool, retry_at: datetime | None) -> None:
    decision = activate(recent)
    assert decision.allowed is allowed
    assert decision.refusal == (None if allowed else R.DAILY_LIMIT)
    assert decision.retry_at == retry_at


def test_daily_limit_works_across_time_zones() -> None:
    moscow = timezone(timedelta(hours=3))
    recent = [(NOW - k * H).astimezone(moscow) for k in (1, 2, 3)]
    decision = activate(recent)
    assert (decision.refusal, decision.retry_at) == (R.DAILY_LIMIT, NOW + 21 * H)


def test_daily_limit_message() -> None:
    decision = activate([NOW - H, NOW - 2 * H, NOW - 3 * H])
    assert decision.message_ru == (
        "За сутки можно активировать не более трёх сертификатов. Ограничение снимается "
        "в течение суток — пожалуйста, попробуйте активировать сертификат позже."
    )


@pytest.mark.parametrize(
    ("kwargs", "refusal"),
    [
        ({"individual": False}, R.LEGAL_ENTITY),
        ({"status": None}, R.UNKNOWN_CODE),
        ({"status": CertificateStatus.ACTIVATED}, R.ALREADY_USED),
        ({"expires_at": NOW}, R.EXPIRED),
        ({"expires_at": NOW - US}, R.EXPIRED),
        ({"expires_at": NOW - 365 * 24 * H}, R.EXPIRED),
    ],
    ids=[
        "legal-entity",
        "unknown-code",
        "already-used",
        "expires-exactly-now",
        "expired-1us-ago",
        "expired-a-year-ago",
    ],
)
def test_refusals(kwargs: dict[str, object], refusal: CertificateRefusal) -> None:
    decision = activate([], **kwargs)  # type: ignore[arg-type]
    assert (decision.allowed, decision.refusal, decision.retry_at) == (False, refusal, None)
    assert decision.message_ru == REFUSAL_MESSAGES_RU[refusal]


@pytest.mark.parametrize(
    "expires_at", [None, NOW + US, NOW + 24 * H], ids=["no-expiry", "in-1us", "tomorrow"]
)
def test_not_yet_expired_is_allowed(expires_at: datetime | None) -> None:
    decision = activate([], expires_at=expires_at)
    assert (decision.allowed, decision.refusal) == (True, None)


LIMIT_REACHED = [NOW - H, NOW - 2 * H, NOW - 3 * H]


@pytest.mark.parametrize(
    ("kwargs", "refusal"),
    [
        ({"individual": False, "status": None}, R.LEGAL_ENTITY),
        ({"individual": False, "status": CertificateStatus.ACTIVATED}, R.LEGAL_ENTITY),
        ({"status": None}, R.UNKNOWN_CODE),
        ({"status": CertificateStatus.ACTIVATED}, R.ALREADY_USED),
        ({"status": CertificateStatus.ACTIVATED, "expires_at": NOW - H}, R.ALREADY_USED),
        ({"expires_at": NOW - H}, R.EXPIRED),
        ({}, R.DAILY_LIMIT),
    ],
    ids=[
        "legal-before-unknown",
        "legal-before-used",
        "unknown-before-limit",
        "used-before-limit",
        "used-before-expired",
        "expired-before-limit",
        "limit-last",
    ],
)
def test_order_of_refusals(kwargs: dict[str, object], refusal: CertificateRefusal) -> None:
    assert activate(LIMIT_REACHED, **kwargs).refusal is refusal  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("refusal", "message"),
    [
        (R.UNKNOWN_CODE, "Сертификат с таким кодом не найден."),
        (R.ALREADY_USED, "код активации можно использовать только один раз"),
        (R.DAILY_LIMIT, "не более трёх сертификатов"),
        (R.LEGAL_ENTITY, "только в аккаунте физического лица"),
        (R.EXPIRED, "Срок действия этого сертификата истёк"),
    ],
    ids=lambda v: v.value if isinstance(v, CertificateRefusal) else None,
)
def test_refusal_messages_are_russian(refusal: CertificateRefusal, message: str) -> None:
    assert message in REFUSAL_MESSAGES_RU[refusal]


def test_allowed_message_mentions_balance_and_three_years() -> None:
    assert activate([]).message_ru == (
        "Сертификат можно активировать: его номинал будет зачислен на Баланс средств "
        "и будет храниться там три года."
    )


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        activate([], now=datetime(2026, 11, 23, 12, 0))


def test_naive_activation_time_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        activate([datetime(2026, 11, 23, 11, 0)])


def test_status_given_as_string_value() -> None:
    assert activate([], status="activated").refusal is R.ALREADY_USED  # type: ignore[arg-type]


# --- money life time ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("activated_at", "expires_at"),
    [
        (datetime(2026, 11, 23, 12, 0, tzinfo=UTC), datetime(2029, 11, 23, 12, 0, tzinfo=UTC)),
        (datetime(2028, 2, 29, 9, 30, tzinfo=UTC), datetime(2031, 2, 28, 9, 30, tzinfo=UTC)),
        (datetime(2027, 2, 28, 0, 0, tzinfo=UTC), datetime(2030, 2, 28, 0, 0, tzinfo=UTC)),
        (datetime(2025, 2, 28, 0, 0, tzinfo=UTC), datetime(2028, 2, 28, 0, 0, tzinfo=UTC)),
        (datetime(2026, 12, 31, 23, 59, tzinfo=UTC), datetime(2029, 12, 31, 23, 59, tzinfo=UTC)),
    ],
    ids=["ordinary", "leap-day", "feb-28", "feb-28-into-leap-year", "new-year-eve"],
)
def test_certificate_money_keeps_three_years(activated_at: datetime, expires_at: datetime) -> None:
    assert certificate_money_expires_at(activated_at) == expires_at


def test_money_expiry_keeps_time_zone() -> None:
    moscow = timezone(timedelta(hours=3))
    result = certificate_money_expires_at(datetime(2026, 1, 1, 0, 30, tzinfo=moscow))
    assert (result, result.utcoffset()) == (
        datetime(2029, 1, 1, 0, 30, tzinfo=moscow),
        timedelta(hours=3),
    )


def test_money_expiry_rejects_naive_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        certificate_money_expires_at(datetime(2026, 1, 1))


# --- codes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        (" abcd-efgh 1234 ", "ABCDEFGH1234"),
        ("ABCD1234", "ABCD1234"),
        ("ab–cd—ef‑gh", "ABCDEFGH"),
        ("\tx y\nz\u00a0w", "XYZW"),
        ("a_b", "AB"),
        ("", ""),
        ("  -- ", ""),
    ],
    ids=[
        "spaces-and-dashes",
        "already-clean",
        "unicode-dashes",
        "tabs-nbsp",
        "underscore",
        "empty",
        "only-separators",
    ],
)
def test_normalize_certificate_code(raw: str, normalized: str) -> None:
    assert normalize_certificate_code(raw) == normalized


def test_hash_is_hmac_sha256_of_normalized_code() -> None:
    expected = hmac.new(b"secret", b"ABCD1234", hashlib.sha256).hexdigest()
    assert hash_certificate_code("abcd-1234", b"secret") == expected
    assert hash_certificate_code("ABCD 1234", b"secret") == expected


def test_hash_depends_on_secret_and_code() -> None:
    base = hash_certificate_code("ABCD1234", b"one")
    assert len(base) == 64
    assert base != hash_certificate_code("ABCD1234", b"two")
    assert base != hash_certificate_code("ABCD1235", b"one")


def test_hash_needs_a_secret() -> None:
    with pytest.raises(ValueError, match="secret"):
        hash_certificate_code("ABCD1234", b"")


# --- spending and buying ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "allowed"),
    [
        (PurchaseKind.GOODS, True),
        (PurchaseKind.TRAVEL_TICKETS, True),
        (PurchaseKind.OSAGO, False),
        (PurchaseKind.DIGITAL_BOOKS, False),
        (PurchaseKind.GIFT_CERTIFICATES, False),
    ],
    ids=lambda v: v.value if isinstance(v, PurchaseKind) else None,
)
def test_certificate_money_can_pay_for(kind: PurchaseKind, allowed: bool) -> None:
    assert certificate_money_can_pay_for(kind) is allowed


@pytest.mark.parametrize(
    ("method", "allowed"),
    [
        (PaymentMethod.BANK_CARD, True),
        (PaymentMethod.OZON_ACCOUNT, True),
        (PaymentMethod.E_WALLET, True),
        (PaymentMethod.CASH_ON_DELIVERY, True),
        (PaymentMethod.POINTS, False),
        (PaymentMethod.BONUSES, False),
        (PaymentMethod.PREMIUM_POINTS, False),
        (PaymentMethod.INSTALMENT, False),
        (PaymentMethod.CREDIT, False),
    ],
    ids=lambda v: v.value if isinstance(v, PaymentMethod) else None,
)
def test_certificate_payment_allowed(method: PaymentMethod, allowed: bool) -> None:
    assert certificate_payment_allowed(method) is allowed


def test_unknown_payment_method_raises() -> None:
    with pytest.raises(ValueError):
        certificate_payment_allowed("barter")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("actor", "allowed"),
    [
        (ActivationActor.CUSTOMER, True),
        (ActivationActor.OPERATOR, False),
        (ActivationActor.BOT, False),
    ],
    ids=["customer", "operator", "bot"],
)
def test_only_the_customer_activates(actor: ActivationActor, allowed: bool) -> None:
    assert actor_may_activate(actor) is allowed
