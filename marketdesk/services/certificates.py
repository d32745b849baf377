"""Gift certificates (seed 000): issue codes, and activation by the customer alone.

Rules come from ``domain.certificates``: single use, individuals only, at most three in any
24 hours, the nominal goes to the rubles balance as certificate money that keeps 3 years.
An operator never activates a certificate for a customer: there is no such path."""

from __future__ import annotations

import secrets
from datetime import datetime
from decimal import Decimal
from functools import partial
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain import certificates as rules
from marketdesk.domain.notifications import NotificationChannel, normalize_email
from marketdesk.domain.webhooks import WebhookEvent
from marketdesk.store.models import (
    BalanceEntry,
    Customer,
    GiftCertificate,
    ProductNominal,
    utcnow,
)

from . import audit, notifications, webhooks
from .customer_login import normalize_phone
from .customers import money
from .errors import (
    CERTIFICATE_REFUSALS,
    CertificateRefused,
    EmailElectronicOnly,
    InvalidCertificateCode,
    InvalidCertificateKind,
    InvalidEmail,
    InvalidNominal,
    LoginToActivate,
    OperatorMayNotActivate,
    SmsElectronicOnly,
)
from .locks import lock_customer
from .principals import Principal
from .webhooks.payloads import certificate_data

__all__ = [
    "ActivationResult",
    "CertificateRefused",
    "IssuedCertificate",
    "activate_certificate",
    "issue_certificate",
]

# no 0/O or 1/I: codes are read aloud and typed from plastic cards
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 16
_MOSCOW = ZoneInfo("Europe/Moscow")


class IssuedCertificate(BaseModel):
    code: str
    nominal: Decimal
    kind: str
    expires_at: datetime | None


class ActivationResult(BaseModel):
    nominal: Decimal
    balance_rubles: Decimal
    money_expires_at: datetime
    message: str


def _format_code(raw: str) -> str:
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


async def issue_certificate(
    session: AsyncSession,
    *,
    nominal_rub: int,
    kind: str,
    secret: bytes,
    expires_at: datetime | None = None,
    actor: Principal | None = None,
    sms_to: str | None = None,
    email_to: str | None = None,
) -> IssuedCertificate:
    """Create a certificate and return its code, shown this once: only a hash is stored.

    With ``sms_to`` (seed 000: an electronic certificate «может его получить … в sms») the
    code also goes to the notification outbox in the same transaction (``email_to``: by
    e-mail, from the account sender): the outbox keeps the text only until the provider takes
    it (``services.notifications``)."""
    recipient = None
    if sms_to is not None:
        sms_to = normalize_phone(sms_to)
        if kind != "electronic":
            raise SmsElectronicOnly()
        recipient = notifications.Recipient(NotificationChannel.SMS, sms_to)
    elif email_to is not None:
        address = normalize_email(email_to)
        if address is None:
            raise InvalidEmail()
        if kind != "electronic":
            raise EmailElectronicOnly()
        recipient = notifications.Recipient(NotificationChannel.EMAIL, address)
    if kind not in ("electronic", "plastic"):
        raise InvalidCertificateKind()
    nominal = nominal_rub * 100
    allowed = set(await session.scalars(select(ProductNominal.nominal).distinct()))
    if nominal <= 0 or (allowed and nominal not in allowed):
        listed = ", ".join(f"{n // 100}" for n in sorted(allowed))
        raise InvalidNominal(nominal=nominal_rub, listed=listed)
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    certificate = GiftCertificate(
        code_hash=rules.hash_certificate_code(raw, secret),
        code_tail=raw[-4:],
        nominal=nominal,
        kind=kind,
        status="issued",
        issued_at=utcnow(),
        expires_at=expires_at,
    )
    session.add(certificate)
    await session.flush()
    audit.record(
        session,
        actor,
        "certificate.issued",
        entity_kind="certificate",
        entity_id=certificate.id,
        nominal=nominal,
        kind=kind,
        **({"sent_by": recipient.channel.value} if recipient else {}),
    )
    code = _format_code(raw)
    if recipient is not None:
        customer_id = await session.scalar(
            select(Customer.id).where(
                Customer.phone == recipient.address
                if recipient.channel is NotificationChannel.SMS
                else Customer.email == recipient.address
            )
        )
        await notifications.notify(
            session,
            event="certificate_issued",
            data={"code": code, "nominal": nominal_rub},
            idempotency_key=f"certificate_issued:{certificate.id}",
            customer_id=customer_id,
            to=recipient,
        )
    await session.commit()
    return IssuedCertificate(code=code, nominal=money(nominal), kind=kind, expires_at=expires_at)


async def activate_certificate(
    session: AsyncSession,
    principal: Principal,
    code: str,
    *,
    secret: bytes,
    now: datetime | None = None,
) -> ActivationResult:
    """The customer enters a code in their account. Every decision is audited."""
    if principal.is_operator:
        raise OperatorMayNotActivate()
    if principal.kind != "customer":
        raise LoginToActivate()
    now = now or utcnow()
    customer_id = int(principal.id)
    normalized = rules.normalize_certificate_code(code)
    if not normalized or len(normalized) > 64:
        raise InvalidCertificateCode()

    await lock_customer(session, customer_id)
    customer = await session.get(Customer, customer_id)
    assert customer is not None  # lock_customer checked it
    certificate = await session.scalar(
        select(GiftCertificate).where(
            GiftCertificate.code_hash == rules.hash_certificate_code(normalized, secret)
        )
    )
    recent = list(
        await session.scalars(
            select(GiftCertificate.activated_at).where(
                GiftCertificate.activated_by == customer_id,
                GiftCertificate.activated_at > now - rules.ACTIVATION_WINDOW,
            )
        )
    )
    decision = rules.check_activation(
        certificate_status=rules.CertificateStatus(certificate.status) if certificate else None,
        certificate_expires_at=certificate.expires_at if certificate else None,
        customer_is_individual=customer.kind == "individual",
        recent_activations=[at for at in recent if at is not None],
        now=now,
    )
    if decision.allowed and certificate is not None:
        # conditional: of two simultaneous activations of one code exactly one wins
        won = await session.execute(
            update(GiftCertificate)
            .where(GiftCertificate.id == certificate.id, GiftCertificate.status == "issued")
            .values(status="activated", activated_by=customer_id, activated_at=now)
        )
        if won.rowcount != 1:  # type: ignore[attr-defined]
            decision = rules.check_activation(
                certificate_status=rules.CertificateStatus.ACTIVATED,
                certificate_expires_at=None,
                customer_is_individual=True,
                recent_activations=(),
                now=now,
            )
    if not decision.allowed:
        refusal = decision.refusal
        audit.record(
            session,
            principal,
            "certificate.activation_refused",
            entity_kind="certificate",
            entity_id=certificate.id if certificate else None,
            refusal=str(refusal),
        )
        await session.commit()
        retry = ""
        details = {}
        if decision.retry_at is not None:
            local = decision.retry_at.astimezone(_MOSCOW)
            retry = (
                f" Следующий сертификат можно будет активировать {local:%d.%m.%Y} "
                f"после {local:%H:%M} по московскому времени."
            )
            details["retry_at"] = decision.retry_at.isoformat()
        assert refusal is not None
        raise CERTIFICATE_REFUSALS[refusal](reason=decision.message_ru, retry=retry, **details)

    assert certificate is not None
    expires = rules.certificate_money_expires_at(now)
    session.add(
        BalanceEntry(
            customer_id=customer_id,
            kind="rubles",
            amount=certificate.nominal,
            source="certificate",
            reference=f"certificate:{certificate.id}",
            created_at=now,
            expires_at=expires,
        )
    )
    audit.record(
        session,
        principal,
        "certificate.activated",
        entity_kind="certificate",
        entity_id=certificate.id,
        nominal=certificate.nominal,
    )
    await webhooks.emit(
        session,
        WebhookEvent.CERTIFICATE_ACTIVATED,
        partial(certificate_data, certificate, customer_id, now, expires),
    )
    await notifications.notify(
        session,
        event="certificate_activated",
        data={"nominal": money(certificate.nominal)},
        idempotency_key=f"certificate_activated:{certificate.id}",
        customer_id=customer_id,
        now=now,
    )
    await session.commit()
    from .balance import rubles_balance

    balance = await rubles_balance(session, customer_id, now=now)
    return ActivationResult(
        nominal=money(certificate.nominal),
        balance_rubles=money(balance.total),
        money_expires_at=expires,
        message=f"Сертификат активирован: {money(certificate.nominal)} ₽ зачислены на баланс "
        f"и хранятся 3 года.",
    )
