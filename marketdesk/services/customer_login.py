"""Customer login by phone number and a one-time code (seed 001: «Чтобы войти в систему, вам
потребуется ввести свой номер телефона … SMS-код, push-уведомление или сообщение в чате
«Безопасность» … одноразовый код»).

The code reaches the customer one of three ways (:data:`LOGIN_METHODS`): by SMS, into the
«Безопасность» chat of the devices where they are logged in already
(``services/security.py``), or as a Web Push to their browsers. All three are the same
``login_codes`` row: the same limits per phone and per IP, the same tries per code.

The code: 6 digits from ``secrets``; only its keyed hash (HMAC-SHA256 with the installation's
secret) is stored; valid for 5 minutes; single use; 5 wrong tries void it; a new code voids
the previous one. Sending is rate-limited per phone and per IP address. An unknown phone
gets exactly the same answer as a known one (a code row is written, no SMS is sent), so the
endpoint does not tell who is a customer. Codes go out through the notification outbox
(``services.notifications``: the worker hands them to the SMS gateway and then wipes the
text): a code is readable only until the gateway took it, and supervisors see deliveries,
never codes.

The limits below are configuration defaults, not marketplace rules (the seeds give none).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from limits import RateLimitItem, RateLimitItemPerHour, RateLimitItemPerMinute
from pydantic import BaseModel
from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain import login as phone_rule
from marketdesk.domain.login import LoginChannel
from marketdesk.domain.notifications import NotificationChannel
from marketdesk.domain.roles import Role
from marketdesk.store.models import Customer, LoginCode, Notification, utcnow
from marketdesk.store.models import Session as AuthSession
from marketdesk.store.transactions import on_commit, write_locked

from . import audit, chat, notifications, security
from .auth import announce_sessions_ended, authenticate, issue_token
from .chat.events import Publisher, no_publisher
from .errors import (
    AuthenticationRequired,
    CodeRequestTooSoon,
    InvalidLoginCode,
    InvalidPhone,
    PhoneMissing,
    TooManyCodeRequests,
)
from .principals import Principal
from .rate_limits import wait_text

__all__ = [
    "CODE_TTL",
    "LOGIN_METHODS",
    "MAX_ATTEMPTS",
    "CodeRequested",
    "OutboxEntry",
    "list_sms_outbox",
    "normalize_phone",
    "request_code",
    "verify_code",
]

CODE_TTL = timedelta(minutes=5)
MAX_ATTEMPTS = 5
DEFAULT_PHONE_INTERVAL = timedelta(seconds=60)  # between two codes to one phone
DEFAULT_PHONE_HOURLY = 5  # codes per phone per hour
DEFAULT_IP_HOURLY = 20  # codes per IP address per hour (MARKETDESK_RATE_CODES_PER_IP)
PHONE_LIMITS = (
    RateLimitItemPerMinute(1),  # DEFAULT_PHONE_INTERVAL
    RateLimitItemPerHour(DEFAULT_PHONE_HOURLY),
)
DEFAULT_IP_LIMITS = (RateLimitItemPerHour(DEFAULT_IP_HOURLY),)
LOGIN_METHODS = (LoginChannel.SMS, LoginChannel.SECURITY_CHAT, LoginChannel.PUSH)
"""The ways a code reaches the customer (seed 001 lists a call too: no telephony here)."""


class CodeRequested(BaseModel):
    status: str = "code_sent"
    message: str
    expires_in: int
    retry_after: int
    method: str = LoginChannel.SMS.value


class OutboxEntry(BaseModel):
    """A delivery as a supervisor sees it: the phone masked, never the text."""

    id: int
    phone: str
    kind: str
    status: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None


def normalize_phone(raw: str) -> str:
    """``+7 (900) 000-00-01``, ``89000000001`` or ``9000000001`` → ``+79000000001``: the
    domain's one rule (:func:`marketdesk.domain.login.normalize_phone`, Russian numbers),
    refused as 422 ``invalid_phone`` with its Russian message."""
    try:
        return phone_rule.normalize_phone(raw)
    except phone_rule.InvalidPhoneNumber:
        raise (InvalidPhone() if raw.strip() else PhoneMissing()) from None


def _code_hash(secret: bytes, phone: str, code: str) -> str:
    return hmac.new(secret, f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def _masked(phone: str) -> str:
    return phone[:-4].rstrip() + "••" + phone[-2:] if len(phone) > 6 else phone


def _hidden(phone: str) -> str:
    """``+79001234567`` → ``+7•••••••••67``: enough to tell deliveries apart, no more."""
    return phone[:2] + "•" * max(len(phone) - 4, 0) + phone[-2:] if len(phone) > 6 else "•••"


async def request_code(
    session: AsyncSession,
    *,
    phone: str,
    ip: str | None,
    secret: bytes,
    now: datetime | None = None,
    ip_limits: Sequence[RateLimitItem] = DEFAULT_IP_LIMITS,
    method: LoginChannel = LoginChannel.SMS,
    publish: Publisher = no_publisher,
) -> CodeRequested:
    """Send a new login code to ``phone`` if it is a customer's: by SMS (through the
    notification outbox), into the «Безопасность» chat of their logged-in devices, or as a
    push to their browsers. The same limits whatever the method: at most
    :data:`PHONE_LIMITS` codes per phone and ``ip_limits`` per IP address, counted in the
    database under a lock (exact under concurrency, across processes), and
    :data:`MAX_ATTEMPTS` tries per code."""
    now = now or utcnow()
    phone = normalize_phone(phone)
    if method not in LOGIN_METHODS:
        raise ValueError(f"no such login method: {method}")
    async with write_locked(session):
        return await _request_code(
            session,
            phone=phone,
            ip=ip,
            secret=secret,
            now=now,
            ip_limits=ip_limits,
            delivery=_Delivery(method, publish),
        )


async def _lock_phone_and_ip(session: AsyncSession, phone: str, ip: str | None) -> None:
    """Serialise the code requests of one phone (and of one IP) across processes, so that
    the counts below are exact: 30 parallel requests send one SMS. PostgreSQL: advisory
    locks for the transaction (phone first, then IP: always in that order). SQLite: a
    write statement before any read takes the database's write lock."""
    if session.get_bind().dialect.name == "postgresql":
        for name in (f"phone:{phone}", f"ip:{ip}" if ip else None):
            if name is not None:
                key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
                await session.execute(select(func.pg_advisory_xact_lock(key)))
    else:
        await session.execute(
            update(LoginCode)
            .where(LoginCode.phone == phone)
            .values(phone=LoginCode.phone)
            .execution_options(synchronize_session=False)
        )


def _too_many(
    created: list[datetime], limits: Sequence[RateLimitItem], now: datetime
) -> int | None:
    """Seconds to wait when the codes ``created`` (newest first) fill one of ``limits``."""
    wait = 0
    for item in limits:
        window = timedelta(seconds=item.get_expiry())
        inside = [at for at in created if at > now - window]
        if len(inside) >= item.amount:
            # the oldest of the last ``amount`` codes leaves the window first
            leaves = inside[item.amount - 1] + window
            wait = max(wait, int((leaves - now).total_seconds()) + 1)
    return wait or None


async def _requested_since(
    session: AsyncSession, whose: ColumnElement[bool], since: datetime
) -> list[datetime]:
    """When the codes of one phone (or one IP) were requested since ``since``, newest first."""
    return list(
        await session.scalars(
            select(LoginCode.created_at)
            .where(whose, LoginCode.created_at > since)
            .order_by(LoginCode.created_at.desc())
        )
    )


async def _request_code(
    session: AsyncSession,
    *,
    phone: str,
    ip: str | None,
    secret: bytes,
    now: datetime,
    ip_limits: Sequence[RateLimitItem],
    delivery: _Delivery,
) -> CodeRequested:
    await _lock_phone_and_ip(session, phone, ip)
    longest = timedelta(seconds=max(item.get_expiry() for item in (*PHONE_LIMITS, *ip_limits)))
    by_phone = await _requested_since(session, LoginCode.phone == phone, now - longest)
    wait = _too_many(by_phone, PHONE_LIMITS, now)
    if wait is not None:
        await session.rollback()
        if wait <= 60:
            raise CodeRequestTooSoon(seconds=wait, retry_after=wait)
        raise TooManyCodeRequests(wait=wait_text(wait), retry_after=wait)
    if ip:
        by_ip = await _requested_since(session, LoginCode.requested_ip == ip, now - longest)
        wait = _too_many(by_ip, ip_limits, now)
        if wait is not None:
            await session.rollback()
            raise TooManyCodeRequests(wait=wait_text(wait), retry_after=wait)
    customer_id = await session.scalar(select(Customer.id).where(Customer.phone == phone))
    await session.execute(
        update(LoginCode)
        .where(LoginCode.phone == phone, LoginCode.used_at.is_(None), LoginCode.voided_at.is_(None))
        .values(voided_at=now)
    )
    code = f"{secrets.randbelow(10**6):06d}"
    login_code = LoginCode(
        phone=phone,
        customer_id=customer_id,
        code_hash=_code_hash(secret, phone, code),
        requested_ip=ip,
        attempts=0,
        created_at=now,
        expires_at=now + CODE_TTL,
    )
    session.add(login_code)
    if customer_id is not None:  # an unknown phone gets the same answer and nothing is sent
        await session.flush()
        await _send(session, delivery, login_code, customer_id, code, now)
    await session.commit()
    return CodeRequested(
        message=_SENT_TEXT[delivery.method].format(phone=_masked(phone)),
        expires_in=int(CODE_TTL.total_seconds()),
        retry_after=int(DEFAULT_PHONE_INTERVAL.total_seconds()),
        method=delivery.method.value,
    )


_SENT_TEXT = {
    LoginChannel.SMS: "Код отправлен в SMS на номер {phone}. Он действует 5 минут.",
    LoginChannel.SECURITY_CHAT: (
        "Код отправлен в чат «Безопасность» на устройствах, где вы уже вошли с номером "
        "{phone}. Он действует 5 минут. Если таких устройств нет, запросите код по SMS."
    ),
    LoginChannel.PUSH: (
        "Код отправлен push-уведомлением в браузеры, где вы вошли с номером {phone} и "
        "включили уведомления. Он действует 5 минут. Если уведомление не пришло, запросите "
        "код по SMS."
    ),
}


@dataclass(frozen=True, slots=True)
class _Delivery:
    method: LoginChannel
    publish: Publisher


async def _send(
    session: AsyncSession,
    delivery: _Delivery,
    login_code: LoginCode,
    customer_id: int,
    code: str,
    now: datetime,
) -> None:
    """Hand the code to its way (in the code's transaction; the outbox and the chat are
    durable, the chat's live frame and the outbox's delivery follow the commit). A
    customer without a logged-in device or a push subscription gets nothing, and the same
    answer."""
    if delivery.method is LoginChannel.SECURITY_CHAT:
        if await security.has_logged_in_device(session, customer_id, now):
            await security.post_login_code(
                session,
                customer_id=customer_id,
                login_code_id=login_code.id,
                code=code,
                masked_phone=_masked(login_code.phone),
                now=now,
                publish=delivery.publish,
            )
        return
    if delivery.method is LoginChannel.PUSH:
        if not await notifications.has_push(session, customer_id):
            return
        to = notifications.Recipient(
            NotificationChannel.PUSH, notifications.customer_address(customer_id)
        )
    else:
        to = notifications.Recipient(NotificationChannel.SMS, login_code.phone)
    await notifications.notify(  # the text template: content/notifications/account/
        session,
        event="login_code",
        data={"code": code},
        idempotency_key=f"login_code:{login_code.id}",
        customer_id=customer_id,
        to=to,
        now=now,
    )


async def verify_code(
    session: AsyncSession,
    *,
    phone: str,
    code: str,
    secret: bytes,
    ttl: timedelta,
    visitor_token: str | None = None,
    now: datetime | None = None,
    publish: Publisher = no_publisher,
    device: str | None = None,
) -> tuple[str, int]:
    """Check the code and open a customer session → (token, customer id). The conversations
    of the widget's anonymous visitor (``visitor_token``) move to the customer, and the
    visitor's token ends (its open sockets close: ``publish``)."""
    now = now or utcnow()
    phone = normalize_phone(phone)
    if not re.fullmatch(r"\d{6}", code or ""):
        raise InvalidLoginCode()
    row = await session.scalar(
        select(LoginCode)
        .where(
            LoginCode.phone == phone,
            LoginCode.used_at.is_(None),
            LoginCode.voided_at.is_(None),
            LoginCode.expires_at > now,
        )
        .order_by(LoginCode.created_at.desc(), LoginCode.id.desc())
        .limit(1)
    )
    if row is None:
        raise InvalidLoginCode()
    if not hmac.compare_digest(row.code_hash, _code_hash(secret, phone, code)):
        attempts = (
            await session.execute(
                update(LoginCode)
                .where(LoginCode.id == row.id, LoginCode.voided_at.is_(None))
                .values(attempts=LoginCode.attempts + 1)
                .returning(LoginCode.attempts)
                .execution_options(synchronize_session=False)
            )
        ).scalar()
        if attempts is not None and attempts >= MAX_ATTEMPTS:
            await session.execute(
                update(LoginCode)
                .where(LoginCode.id == row.id)
                .values(voided_at=now)
                .execution_options(synchronize_session=False)
            )
        await session.commit()
        raise InvalidLoginCode()
    # single use, even for two requests at the same moment
    used = await session.execute(
        update(LoginCode)
        .where(
            LoginCode.id == row.id,
            LoginCode.used_at.is_(None),
            LoginCode.voided_at.is_(None),
            LoginCode.attempts < MAX_ATTEMPTS,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1 or row.customer_id is None:  # type: ignore[attr-defined]
        await session.commit()
        raise InvalidLoginCode()
    customer_id = row.customer_id
    token = await issue_token(session, customer_id=customer_id, ttl=ttl, now=now, device=device)
    await security.wipe_login_code(session, row.id)
    revoked: list[int] = []
    if visitor_token:
        revoked = await _adopt_visitor(session, visitor_token, customer_id, now)
    principal = Principal("customer", customer_id)
    audit.record(
        session, principal, "auth.phone_login", entity_kind="customer", entity_id=customer_id
    )
    if revoked:  # the visitor's sockets close once the login is committed
        on_commit(session, functools.partial(announce_sessions_ended, publish, revoked))
    await session.commit()
    return token, customer_id


async def _adopt_visitor(
    session: AsyncSession, visitor_token: str, customer_id: int, now: datetime
) -> list[int]:
    """The visitor's conversations become the customer's, and every session of the visitor
    ends: the old token no longer reads or writes them. → the ended sessions' ids."""
    try:
        visitor = await authenticate(session, visitor_token)
    except AuthenticationRequired:
        return []
    if visitor.kind != "visitor":
        return []
    await chat.adopt_visitor_conversations(session, str(visitor.id), customer_id)
    ended = await session.execute(
        update(AuthSession)
        .where(AuthSession.visitor_id == str(visitor.id), AuthSession.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(AuthSession.id)
        .execution_options(synchronize_session=False)
    )
    return list(ended.scalars())


async def list_sms_outbox(
    session: AsyncSession, principal: Principal, *, limit: int = 50
) -> list[OutboxEntry]:
    """The SMS deliveries, newest first (phone masked, no text): supervisors and admins."""
    principal.require_operator(Role.SUPERVISOR)
    rows = await session.scalars(
        select(Notification)
        .where(Notification.channel == NotificationChannel.SMS.value)
        .order_by(Notification.id.desc())
        .limit(max(1, min(limit, 500)))
    )
    return [
        OutboxEntry(
            id=r.id,
            phone=_hidden(r.address),
            kind=r.event,
            status=r.status,
            attempts=r.attempts,
            created_at=r.created_at,
            sent_at=r.sent_at,
        )
        for r in rows
    ]
