"""Orders with their items and status history. A known order whose status changed raises the
customer's order notification in the batch's own transaction (the transactional outbox of
``services/notifications``), once its catalogue has the ``order_status_changed`` event."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete, select, update

from marketdesk.domain.notifications import EVENTS
from marketdesk.domain.sync import OrderRecord
from marketdesk.store.models import Customer, Order, OrderItem, OrderStatusEvent, Product

from .. import notifications
from ..labels import ORDER_STATUS_TITLES
from .common import Batch, chunks, existing, insert_for

__all__ = ["ORDER_STATUS_EVENT", "store_orders"]

ORDER_STATUS_EVENT = "order_status_changed"


async def _refuse_unknown(batch: Batch) -> None:
    live = batch.live()
    customers = await existing(batch.session, Customer.id, [r.customer_id for _, r in live])
    products = await existing(
        batch.session,
        Product.id,
        [i.product_id for _, r in live for i in r.items if i.product_id is not None],
    )
    seen: dict[str, int] = {}
    for index, record in live:
        missing = [i.product_id for i in record.items if i.product_id not in (None, *products)]
        if record.number in seen:
            batch.refuse(
                index, f"Заказ {record.number} уже есть в пакете (запись {seen[record.number]})."
            )
        elif record.customer_id not in customers:
            batch.refuse(
                index,
                f"Покупатель {record.customer_id} не найден: "
                "сначала передайте его в /sync/customers.",
            )
        elif missing:
            batch.refuse(
                index, f"Товар {missing[0]} не найден: сначала передайте его в /sync/products."
            )
        seen.setdefault(record.number, index)


async def _known(batch: Batch, numbers: list[str]) -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    for part in chunks(sorted(numbers)):
        rows = await batch.session.execute(
            select(Order.number, Order.id, Order.status).where(Order.number.in_(part))
        )
        found.update({n: (int(i), s) for n, i, s in rows})
    return found


def _order_row(r: OrderRecord) -> dict[str, Any]:
    return {
        "number": r.number,
        "customer_id": r.customer_id,
        "status": r.status,
        "delivery_type": r.delivery_type,
        "created_at": r.created_at,
        "total": r.total,
        "payment_method": r.payment_method,
    }


def _items(order_id: int, r: OrderRecord) -> list[dict[str, Any]]:
    return [
        {
            "order_id": order_id,
            "product_id": i.product_id,
            "name": i.name,
            "quantity": i.quantity,
            "price": i.price,
        }
        for i in r.items
    ]


def _history(order_id: int, r: OrderRecord, at_default: Any) -> list[tuple[str, Any]]:
    return list(r.history) or [(r.status, at_default)]


async def store_orders(batch: Batch) -> None:
    await _refuse_unknown(batch)
    records: list[OrderRecord] = [r for _, r in batch.live()]
    known = await _known(batch, [r.number for r in records])
    fresh = [r for r in records if r.number not in known]
    ids = dict(known_id for known_id in ((n, v[0]) for n, v in known.items()))
    session = batch.session
    for part in chunks(fresh):
        statement = insert_for(session, Order.__table__).returning(
            Order.__table__.c.number, Order.__table__.c.id
        )
        result = await session.execute(statement, [_order_row(r) for r in part])
        ids.update({n: int(i) for n, i in result})
    items: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for r in fresh:
        items += _items(ids[r.number], r)
        events += [
            {"order_id": ids[r.number], "status": s, "at": at}
            for s, at in _history(ids[r.number], r, r.created_at)
        ]
    updated = [r for r in records if r.number in known]
    if updated:
        items_changed, more_events = await _update_existing(batch, updated, known)
        items += items_changed
        events += more_events
    item_table: Any = OrderItem.__table__
    event_table: Any = OrderStatusEvent.__table__
    # Core executemany: compiled once and cached (a multi-row VALUES is compiled per chunk,
    # which costs more than the SQL); the ORM's bulk path costs more too
    for rows in chunks(items):
        await session.execute(item_table.insert(), list(rows))
    for rows in chunks(events):
        await session.execute(event_table.insert(), list(rows))


async def _update_existing(
    batch: Batch, records: list[OrderRecord], known: dict[str, tuple[int, str]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Existing orders: columns updated, items replaced when they differ, history steps not
    yet recorded added; a status that changed is noted for the notifications."""
    session = batch.session
    by_id = {known[r.number][0]: r for r in records}
    old_items: dict[int, list[tuple[Any, ...]]] = {i: [] for i in by_id}
    old_events: dict[int, set[tuple[str, Any]]] = {i: set() for i in by_id}
    for part in chunks(sorted(by_id)):
        rows = await session.execute(
            select(
                OrderItem.order_id,
                OrderItem.product_id,
                OrderItem.name,
                OrderItem.quantity,
                OrderItem.price,
            )
            .where(OrderItem.order_id.in_(part))
            .order_by(OrderItem.id)
        )
        for order_id, *rest in rows:
            old_items[order_id].append(tuple(rest))
        steps = await session.execute(
            select(OrderStatusEvent.order_id, OrderStatusEvent.status, OrderStatusEvent.at).where(
                OrderStatusEvent.order_id.in_(part)
            )
        )
        for order_id, status, at in steps:
            old_events[order_id].add((status, at))
    items: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    replaced: list[int] = []
    table: Any = Order.__table__
    changes = [{"_id": order_id, **_order_row(r)} for order_id, r in by_id.items()]
    for chunk in chunks(changes):
        await session.execute(
            update(table).where(table.c.id == bindparam("_id")),
            list(chunk),
        )
    for order_id, r in by_id.items():
        wanted = [(i.product_id, i.name, i.quantity, i.price) for i in r.items]
        if r.items and wanted != old_items[order_id]:
            replaced.append(order_id)
            items += _items(order_id, r)
        old_status = known[r.number][1]
        history = list(r.history)
        if not history and old_status != r.status:
            history = [(r.status, batch.now)]
        events += [
            {"order_id": order_id, "status": s, "at": at}
            for s, at in history
            if (s, at) not in old_events[order_id]
        ]
        if old_status != r.status:
            batch.order_status_changes.append((r.customer_id, r.number, old_status, r.status))
            await _notify(batch, r, history[-1][1] if history else batch.now)
    for part in chunks(replaced):
        await session.execute(delete(OrderItem).where(OrderItem.order_id.in_(part)))
    return items, events


async def _notify(batch: Batch, record: OrderRecord, at: Any) -> None:
    """The customer's «Уведомления по заказам» about the new status, in the batch's
    transaction; keyed by the order, the status and when, so a re-send raises nothing new."""
    if ORDER_STATUS_EVENT not in EVENTS:  # the notifications' catalogue has no such event yet
        return
    await notifications.notify(
        batch.session,
        event=ORDER_STATUS_EVENT,
        data={
            "order": record.number,
            "status_title": ORDER_STATUS_TITLES.get(record.status, record.status),
        },
        idempotency_key=f"order-status:{record.number}:{record.status}:{at.isoformat()}",
        customer_id=record.customer_id,
    )
