"""Web Push subscriptions: the customer's browsers that accept push notifications (the
widget's service worker subscribes with the server's VAPID public key and hands the
subscription here). A notification's ``push`` row goes to every browser the customer has when
it is delivered; a browser the push service no longer knows (404/410) is forgotten then."""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from pydantic import BaseModel, Field
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.store.models import PushSubscription, utcnow
from marketdesk.store.transactions import serialized

from ..errors import NotificationsCustomerOnly, PushSubscriptionInvalid
from ..principals import Principal
from .ports import PushTarget

__all__ = [
    "PushKeys",
    "PushSubscriptionIn",
    "forget_endpoints",
    "push_targets",
    "remove_subscription",
    "save_subscription",
]


class PushKeys(BaseModel):
    p256dh: str = Field(min_length=1, max_length=200)
    auth: str = Field(min_length=1, max_length=64)


class PushSubscriptionIn(BaseModel):
    """``PushSubscription.toJSON()`` of the browser (``expirationTime`` is ignored)."""

    endpoint: str = Field(min_length=1, max_length=1000)
    keys: PushKeys


def _decoded(text: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


def _local(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check(sub: PushSubscriptionIn) -> None:
    """An https endpoint (http only on this machine: a development push service) and the
    keys of RFC 8291: a P-256 point (65 bytes, uncompressed) and a 16-byte auth secret."""
    url = urlsplit(sub.endpoint)
    host = url.hostname or ""
    secure = url.scheme == "https" or (url.scheme == "http" and _local(host))
    key, auth = _decoded(sub.keys.p256dh), _decoded(sub.keys.auth)
    if (
        not host
        or not secure
        or key is None
        or len(key) != 65
        or key[0] != 4
        or auth is None
        or len(auth) != 16
    ):
        raise PushSubscriptionInvalid()


def _customer_of(principal: Principal) -> int:
    if principal.kind != "customer":
        raise NotificationsCustomerOnly()
    return int(principal.id)


@serialized
async def save_subscription(
    session: AsyncSession, principal: Principal, sub: PushSubscriptionIn, *, max_devices: int
) -> None:
    """Keep the browser's subscription (the same endpoint again updates it, and moves it to
    this customer if another one had used the browser); beyond ``max_devices`` the oldest
    go."""
    customer_id = _customer_of(principal)
    _check(sub)
    row = await session.scalar(
        select(PushSubscription).where(PushSubscription.endpoint == sub.endpoint)
    )
    if row is None:
        session.add(
            PushSubscription(
                customer_id=customer_id,
                endpoint=sub.endpoint,
                p256dh=sub.keys.p256dh,
                auth=sub.keys.auth,
                created_at=utcnow(),
            )
        )
    else:
        row.customer_id, row.p256dh, row.auth = customer_id, sub.keys.p256dh, sub.keys.auth
    await session.flush()
    count = await session.scalar(
        select(func.count()).where(PushSubscription.customer_id == customer_id)
    )
    if count and count > max_devices:
        oldest = (
            select(PushSubscription.id)
            .where(PushSubscription.customer_id == customer_id)
            .order_by(PushSubscription.id)
            .limit(count - max_devices)
        )
        await session.execute(
            delete(PushSubscription).where(
                PushSubscription.id.in_(list(await session.scalars(oldest)))
            )
        )
    await session.commit()


@serialized
async def remove_subscription(session: AsyncSession, principal: Principal, endpoint: str) -> None:
    """The browser unsubscribed (or the customer switched push off in it)."""
    customer_id = _customer_of(principal)
    await session.execute(
        delete(PushSubscription).where(
            PushSubscription.customer_id == customer_id, PushSubscription.endpoint == endpoint
        )
    )
    await session.commit()


async def has_push(session: AsyncSession, customer_id: int) -> bool:
    found = await session.scalar(
        select(PushSubscription.id).where(PushSubscription.customer_id == customer_id).limit(1)
    )
    return found is not None


async def push_targets(
    session: AsyncSession, customer_ids: Iterable[int]
) -> dict[int, tuple[PushTarget, ...]]:
    """Each customer's browsers, oldest first."""
    ids = sorted(set(customer_ids))
    out: dict[int, list[PushTarget]] = {}
    if not ids:
        return {}
    rows = await session.scalars(
        select(PushSubscription)
        .where(PushSubscription.customer_id.in_(ids))
        .order_by(PushSubscription.id)
    )
    for row in rows:
        out.setdefault(row.customer_id, []).append(PushTarget(row.endpoint, row.p256dh, row.auth))
    return {k: tuple(v) for k, v in out.items()}


async def forget_endpoints(session: AsyncSession, endpoints: Iterable[str]) -> None:
    """In the caller's transaction: subscriptions the push service no longer knows."""
    gone = sorted(set(endpoints))
    if gone:
        await session.execute(delete(PushSubscription).where(PushSubscription.endpoint.in_(gone)))
