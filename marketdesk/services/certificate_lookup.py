"""An operator checks a gift certificate (seed 000: «будет указано, если он активирован»).

By the whole code, or by the last characters printed on a plastic certificate. The answer is
the status (not activated, activated — when and by which customer, masked —, expired), the
nominal and the expiry; never the code. Every lookup is audited (without the code), and an
operator's lookups are limited per hour: the codes are 80-bit, but the check must not become
a way to test guesses."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain import certificates as rules
from marketdesk.domain.roles import Role
from marketdesk.store.models import AuditEntry, GiftCertificate, utcnow

from . import audit
from .customers import money
from .errors import CertificateCodeLength, CertificateLookupLimit
from .principals import Principal

__all__ = [
    "LOOKUP_ACTION",
    "TAIL_LENGTH",
    "CertificateFound",
    "LookupResult",
    "lookup_certificate",
    "mask_customer_id",
]

LOOKUP_ACTION = "certificate.lookup"
TAIL_LENGTH = 4  # the characters of a code kept readable (printed on a plastic certificate)
_FULL_LENGTH = 16
_MAX_MATCHES = 20

Status = Literal["not_activated", "activated", "expired"]
_STATUS_TITLES: dict[Status, str] = {
    "not_activated": "Не активирован",
    "activated": "Активирован",
    "expired": "Срок действия истёк",
}


class CertificateFound(BaseModel):
    kind: str  # electronic / plastic
    kind_title: str
    code_tail: str  # the last characters, as printed
    nominal: Decimal
    status: Status
    status_title: str
    expires_at: datetime | None  # of the code, when it has one
    activated_at: datetime | None
    activated_by: str | None  # the customer's ID, masked
    activated_by_this_customer: bool | None  # when the lookup names the customer on the line
    money_expires_at: datetime | None  # the money on the balance keeps 3 years


class LookupResult(BaseModel):
    query: Literal["code", "tail"]
    certificates: list[CertificateFound]
    message: str


def mask_customer_id(customer_id: int) -> str:
    """«61••••01»: enough to compare with the customer on the line, not to look anyone up."""
    digits = str(customer_id)
    if len(digits) <= 4:
        return "•" * len(digits)
    return digits[:2] + "•" * (len(digits) - 4) + digits[-2:]


def _status(certificate: GiftCertificate, now: datetime) -> Status:
    if certificate.status == "activated":
        return "activated"
    if certificate.status == "expired" or (
        certificate.expires_at is not None and certificate.expires_at <= now
    ):
        return "expired"
    return "not_activated"


def _found(
    certificate: GiftCertificate, now: datetime, for_customer: int | None
) -> CertificateFound:
    status = _status(certificate, now)
    activated = status == "activated" and certificate.activated_at is not None
    return CertificateFound(
        kind=certificate.kind,
        kind_title="Пластиковый" if certificate.kind == "plastic" else "Электронный",
        code_tail=certificate.code_tail,
        nominal=money(certificate.nominal),
        status=status,
        status_title=_STATUS_TITLES[status],
        expires_at=certificate.expires_at,
        activated_at=certificate.activated_at if activated else None,
        activated_by=(
            mask_customer_id(certificate.activated_by)
            if activated and certificate.activated_by is not None
            else None
        ),
        activated_by_this_customer=(
            certificate.activated_by == for_customer
            if activated and for_customer is not None
            else None
        ),
        money_expires_at=(
            rules.certificate_money_expires_at(certificate.activated_at)
            if activated and certificate.activated_at is not None
            else None
        ),
    )


async def _check_quota(
    session: AsyncSession, principal: Principal, per_hour: int, now: datetime
) -> None:
    since = now - timedelta(hours=1)
    recent = await session.execute(
        select(func.count(), func.min(AuditEntry.at)).where(
            AuditEntry.action == LOOKUP_ACTION,
            AuditEntry.actor_kind == "operator",
            AuditEntry.actor_id == str(principal.id),
            AuditEntry.at > since,
        )
    )
    count, oldest = recent.one()
    if count >= per_hour:
        wait = int(((oldest or now) + timedelta(hours=1) - now).total_seconds()) + 1
        raise CertificateLookupLimit(
            per_hour=per_hour, minutes=max(1, wait // 60), retry_after=max(1, wait)
        )


async def lookup_certificate(
    session: AsyncSession,
    principal: Principal,
    code: str,
    *,
    secret: bytes,
    for_customer: int | None = None,
    per_hour: int = 60,
    now: datetime | None = None,
) -> LookupResult:
    """Find a certificate by its whole code or by the last characters of a plastic one."""
    principal.require_operator(Role.OPERATOR, Role.BACKOFFICE, Role.SUPERVISOR)
    now = now or utcnow()
    normalized = rules.normalize_certificate_code(code)
    if len(normalized) == _FULL_LENGTH:
        query: Literal["code", "tail"] = "code"
        condition = GiftCertificate.code_hash == rules.hash_certificate_code(normalized, secret)
    elif len(normalized) == TAIL_LENGTH:
        query = "tail"
        condition = (GiftCertificate.code_tail == normalized) & (GiftCertificate.kind == "plastic")
    else:
        raise CertificateCodeLength(length=_FULL_LENGTH, tail=TAIL_LENGTH)
    await _check_quota(session, principal, per_hour, now)
    rows = list(
        await session.scalars(
            select(GiftCertificate)
            .where(condition)
            .order_by(GiftCertificate.issued_at.desc())
            .limit(_MAX_MATCHES)
        )
    )
    audit.record(
        session,
        principal,
        LOOKUP_ACTION,
        entity_kind="certificate",
        entity_id=rows[0].id if len(rows) == 1 else None,
        query=query,
        found=len(rows),
        for_customer=for_customer,
    )
    await session.commit()
    found = [_found(row, now, for_customer) for row in rows]
    if not found:
        message = (
            "Сертификат с таким кодом не найден. Проверьте код: в кодах сертификатов нет "
            "букв O и I и цифр 0 и 1."
            if query == "code"
            else "Пластиковых сертификатов с такими последними символами не найдено."
        )
    elif len(found) == 1:
        message = f"{found[0].status_title}, номинал {found[0].nominal} ₽."
    else:
        message = f"Найдено сертификатов: {len(found)} — уточните код целиком."
    return LookupResult(query=query, certificates=found, message=message)
