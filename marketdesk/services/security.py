"""The customer's «Безопасность» chat and their devices (issue 14, item 4; seed 001: a login
is confirmed by «SMS-код, push-уведомление или сообщение в чате «Безопасность»»).

The «Безопасность» chat is a system dialogue of the customer: only marketdesk writes in it
(a login code requested for another device), nobody answers in it, no operator reads it, so
it is not a support conversation (no line, no queue, no transcript): its messages are rows of
``security_messages``, stored in the transaction that made them and then published as a
``security_message`` frame on the customer's live channel (``customer:{id}``, which every
socket of a logged-in customer subscribes to). A code in it is shown while it can still be
used: once used, voided or expired it is shown as «••••••» and its text is wiped on use.

The devices are the customer's sessions that have not ended (``sessions.device``: the
browser and system named at login); «Выйти на всех устройствах» ends all of them at once,
their sockets close (``sessions_ended``)."""

from __future__ import annotations

import functools
import re
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.store.models import LoginCode, SecurityMessage, utcnow
from marketdesk.store.models import Session as AuthSession
from marketdesk.store.transactions import on_commit

from . import audit
from .auth import announce_sessions_ended
from .chat.events import Publisher, no_publisher
from .errors import SecurityCustomerOnly
from .notifications import customer_channel
from .principals import Principal

__all__ = [
    "HIDDEN_CODE",
    "SECURITY_CHAT_TITLE",
    "DeviceList",
    "DeviceView",
    "SecurityChat",
    "SecurityMessageView",
    "end_all_sessions",
    "end_customer_sessions",
    "has_logged_in_device",
    "my_devices",
    "my_security_chat",
    "post_login_code",
    "wipe_login_code",
    "without_codes",
]

SECURITY_CHAT_TITLE = "Безопасность"
_CODE = re.compile(r"\b\d{6}\b")
HIDDEN_CODE = "••••••"
"""What a code no longer usable is replaced with in a message of the chat."""


def without_codes(text: str) -> str:
    """``text`` with its login codes hidden."""
    return _CODE.sub(HIDDEN_CODE, text)


class SecurityMessageView(BaseModel):
    id: int
    text: str
    created_at: datetime


class SecurityChat(BaseModel):
    title: str = SECURITY_CHAT_TITLE
    messages: list[SecurityMessageView]


class DeviceView(BaseModel):
    session_id: int
    device: str
    logged_in_at: datetime
    expires_at: datetime
    current: bool


class DeviceList(BaseModel):
    devices: list[DeviceView]


class SessionsEnded(BaseModel):
    ended: int
    message: str


def _customer_of(principal: Principal) -> int:
    if principal.kind != "customer":
        raise SecurityCustomerOnly()
    return int(principal.id)


def _view(row: SecurityMessage, live: bool) -> SecurityMessageView:
    text = row.text if live else without_codes(row.text)
    return SecurityMessageView(id=row.id, text=text, created_at=row.created_at)


def _active_sessions(customer_id: int, now: datetime) -> ColumnElement[bool]:
    return (
        (AuthSession.customer_id == customer_id)
        & AuthSession.revoked_at.is_(None)
        & (AuthSession.expires_at > now)
    )


async def has_logged_in_device(session: AsyncSession, customer_id: int, now: datetime) -> bool:
    found = await session.scalar(
        select(AuthSession.id).where(_active_sessions(customer_id, now)).limit(1)
    )
    return found is not None


async def _publish(publish: Publisher, customer_id: int, view: SecurityMessageView) -> None:
    await publish(
        [customer_channel(customer_id)],
        {"type": "security_message", "message": view.model_dump(mode="json")},
    )


async def post_login_code(
    session: AsyncSession,
    *,
    customer_id: int,
    login_code_id: int,
    code: str,
    masked_phone: str,
    now: datetime,
    publish: Publisher = no_publisher,
) -> SecurityMessage:
    """Write the code into the customer's «Безопасность» chat (in the caller's transaction)
    and, once it commits, show it on their logged-in devices."""
    row = SecurityMessage(
        customer_id=customer_id,
        login_code_id=login_code_id,
        text=(
            f"Код для входа: {code}. Его запросили для входа по номеру {masked_phone} на "
            "другом устройстве. Код действует 5 минут. Никому не сообщайте его — сотрудники "
            "поддержки никогда не спрашивают код. Если это были не вы, не вводите код и "
            "нажмите «Выйти на всех устройствах»."
        ),
        created_at=now,
    )
    session.add(row)
    await session.flush()
    on_commit(session, functools.partial(_publish, publish, customer_id, _view(row, True)))
    return row


async def wipe_login_code(session: AsyncSession, login_code_id: int) -> None:
    """The code was used: its message keeps its words, not the code (caller commits)."""
    rows = await session.scalars(
        select(SecurityMessage).where(SecurityMessage.login_code_id == login_code_id)
    )
    for row in rows:
        row.text = without_codes(row.text)


async def my_security_chat(
    session: AsyncSession, principal: Principal, *, limit: int = 50, now: datetime | None = None
) -> SecurityChat:
    """The newest messages last (a chat); a code no longer usable is hidden."""
    customer_id = _customer_of(principal)
    now = now or utcnow()
    rows = (
        await session.execute(
            select(SecurityMessage, LoginCode)
            .outerjoin(LoginCode, LoginCode.id == SecurityMessage.login_code_id)
            .where(SecurityMessage.customer_id == customer_id)
            .order_by(SecurityMessage.id.desc())
            .limit(max(1, min(limit, 200)))
        )
    ).all()
    messages = [
        _view(
            message,
            code is not None
            and code.used_at is None
            and code.voided_at is None
            and code.expires_at > now,
        )
        for message, code in reversed(rows)
    ]
    return SecurityChat(messages=messages)


async def my_devices(
    session: AsyncSession, principal: Principal, *, now: datetime | None = None
) -> DeviceList:
    """The customer's logged-in devices, the newest login first; ``current``: this one."""
    customer_id = _customer_of(principal)
    now = now or utcnow()
    rows = await session.scalars(
        select(AuthSession)
        .where(_active_sessions(customer_id, now))
        .order_by(AuthSession.created_at.desc(), AuthSession.id.desc())
        .limit(200)
    )
    return DeviceList(
        devices=[
            DeviceView(
                session_id=row.id,
                device=row.device or "Неизвестное устройство",
                logged_in_at=row.created_at,
                expires_at=row.expires_at,
                current=row.id == principal.session_id,
            )
            for row in rows
        ]
    )


async def end_customer_sessions(
    session: AsyncSession, customer_id: int, publish: Publisher, now: datetime
) -> list[int]:
    """End every active session of the customer in the session's transaction; their
    sockets close once it is committed. → the ended sessions' ids."""
    ended = list(
        (
            await session.execute(
                update(AuthSession)
                .where(_active_sessions(customer_id, now))
                .values(revoked_at=now)
                .returning(AuthSession.id)
                .execution_options(synchronize_session=False)
            )
        ).scalars()
    )
    if ended:
        on_commit(session, functools.partial(announce_sessions_ended, publish, ended))
    return ended


async def end_all_sessions(
    session: AsyncSession,
    principal: Principal,
    *,
    publish: Publisher = no_publisher,
    now: datetime | None = None,
) -> SessionsEnded:
    """«Выйти на всех устройствах»: every session of the customer ends, this one too; their
    sockets close once it is committed. Audited."""
    customer_id = _customer_of(principal)
    ended = await end_customer_sessions(session, customer_id, publish, now or utcnow())
    audit.record(
        session,
        principal,
        "auth.customer_logged_out_everywhere",
        entity_kind="customer",
        entity_id=customer_id,
        sessions=len(ended),
    )
    await session.commit()
    return SessionsEnded(
        ended=len(ended), message=f"Вы вышли на всех устройствах (сеансов: {len(ended)})."
    )
