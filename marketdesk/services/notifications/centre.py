"""The notification centre (channel ``center``): the customer's in-app list in the widget.

An item is a ``notifications`` row of the channel ``center``, shown once delivered: the
worker hands it to the centre's adapter (``channels/centre.py``), which publishes a
``notification`` frame on the customer's live channel (:func:`customer_channel`; every
socket of the customer subscribes to it), and records it sent. ``read_at`` marks it read;
the unread count is what the widget's bell shows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.notifications import CATALOGUE, NotificationChannel, NotificationType
from marketdesk.store.models import Notification, utcnow
from marketdesk.store.transactions import serialized

from ..errors import CentreItemNotFound, NotificationsCustomerOnly
from ..principals import Principal
from .ports import OutgoingNotification

__all__ = [
    "CentreItem",
    "CentreView",
    "centre_frame",
    "customer_channel",
    "mark_read",
    "my_centre",
]

_SHOWN = ("sent", "delivered")


def customer_channel(customer_id: int) -> str:
    """The live channel of one customer (all their sockets)."""
    return f"customer:{customer_id}"


class CentreItem(BaseModel):
    id: int
    type: str
    type_title: str
    title: str
    text: str
    created_at: datetime
    read: bool


class CentreView(BaseModel):
    items: list[CentreItem]
    unread: int


def _title(type_: str, subject: str | None) -> str:
    return subject or CATALOGUE[NotificationType(type_)].title_ru


def centre_frame(message: OutgoingNotification) -> dict[str, Any]:
    """The ``notification`` frame of a delivered item (docs/protocol.md)."""
    return {
        "type": "notification",
        "notification": {
            "id": message.id,
            "type": message.type,
            "type_title": CATALOGUE[NotificationType(message.type)].title_ru,
            "title": _title(message.type, message.subject),
            "text": message.body,
            "created_at": message.created_at,
            "read": False,
        },
    }


def _customer_of(principal: Principal) -> int:
    if principal.kind != "customer":
        raise NotificationsCustomerOnly()
    return int(principal.id)


def _mine(customer_id: int) -> Any:
    return (
        (Notification.customer_id == customer_id)
        & (Notification.channel == NotificationChannel.CENTER.value)
        & Notification.status.in_(_SHOWN)
        & Notification.secret.is_(False)
    )


async def _unread(session: AsyncSession, customer_id: int) -> int:
    count = await session.scalar(
        select(func.count()).where(_mine(customer_id), Notification.read_at.is_(None))
    )
    return int(count or 0)


async def my_centre(session: AsyncSession, principal: Principal, *, limit: int = 50) -> CentreView:
    """The newest items first, and how many are unread."""
    customer_id = _customer_of(principal)
    rows = await session.scalars(
        select(Notification)
        .where(_mine(customer_id))
        .order_by(Notification.id.desc())
        .limit(max(1, min(limit, 200)))
    )
    items = [
        CentreItem(
            id=row.id,
            type=row.type,
            type_title=CATALOGUE[NotificationType(row.type)].title_ru,
            title=_title(row.type, row.subject),
            text=row.body or "",
            created_at=row.created_at,
            read=row.read_at is not None,
        )
        for row in rows
    ]
    return CentreView(items=items, unread=await _unread(session, customer_id))


@serialized
async def mark_read(
    session: AsyncSession, principal: Principal, ids: Iterable[int] | None
) -> CentreView:
    """Mark the given items read (``None``: all of them); the list after."""
    customer_id = _customer_of(principal)
    chosen = None if ids is None else sorted(set(ids))
    query = update(Notification).where(_mine(customer_id), Notification.read_at.is_(None))
    if chosen is not None:
        found = set(
            await session.scalars(
                select(Notification.id).where(_mine(customer_id), Notification.id.in_(chosen))
            )
        )
        missing = [i for i in chosen if i not in found]
        if missing:
            await session.rollback()
            raise CentreItemNotFound(notification_id=missing[0])
        query = query.where(Notification.id.in_(chosen))
    await session.execute(
        query.values(read_at=utcnow()).execution_options(synchronize_session=False)
    )
    await session.commit()
    return await my_centre(session, principal)
