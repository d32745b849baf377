"""The buyer ↔ seller chat (issue 14, item 2): a conversation on the line ``seller_chat`` with
the seller as its party (``conversations.seller_id``). It is an ordinary conversation: its
messages go through :func:`.sending.send` (durable, idempotent, live), where the seller chat's
own guard refuses contacts and payment details both ways (``checks.seller_chat_refusal``).

* :func:`open_seller_chat` — a customer writes to the seller of a product or an order: their
  open dialogue with that seller, or a new one;
* :func:`bring_seller` — support brings the seller into a case: the conversation moves to the
  seller chat (the operator keeps reading it, as after any transfer);
* :func:`pass_to_support` — the seller passes a case to support: the conversation joins the
  general line's queue (the seller keeps reading it)."""

from __future__ import annotations

from functools import partial

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.conversations import ConversationStatus as S
from marketdesk.domain.descriptions import SaleScheme
from marketdesk.domain.lines import Line
from marketdesk.domain.webhooks import WebhookEvent
from marketdesk.store.models import (
    Conversation,
    Order,
    OrderItem,
    Product,
    Seller,
    utcnow,
)
from marketdesk.store.transactions import serialized

from .. import audit, webhooks
from .. import chat_access as access
from ..errors import (
    ConversationClosed,
    HubCustomerOnly,
    NoSellerToWrite,
    NotASellerChat,
    NotAssignedToTransfer,
    NotTransferable,
    OrderNotFound,
    ProductNotFound,
    RetailHasNoSellerChat,
    SellerChatNeedsSubject,
    SellerNotFound,
    SellerOnly,
)
from ..locks import LOCK_CUSTOMER
from ..principals import Principal
from ..webhooks.payloads import conversation_data
from .assignment import dispatch_queue, enqueue
from .checks import STAFF_ROLES, is_supervisor, load, move_to
from .context import ChatContext
from .events import changes_for
from .transcript import system_note
from .views import ConversationView, conversation_view

__all__ = [
    "SellerChatSubject",
    "bring_seller",
    "open_seller_chat",
    "pass_to_support",
    "seller_of",
]

TEXT_OPENED = (
    "Диалог с продавцом «{seller}»{about}. Продавец ответит здесь. Не сообщайте телефоны, "
    "почту и платёжные реквизиты: общайтесь и платите только через маркетплейс."
)
TEXT_SELLER_BROUGHT = (
    "К диалогу подключён продавец «{seller}»: дальше вам ответит он. Поддержка видит переписку."
)
TEXT_TO_SUPPORT = "Продавец передал диалог в поддержку. Оператор ответит в этом чате."


class SellerChatSubject:
    """What the customer writes about: a product, an order, or both (a product of the order)."""

    __slots__ = ("order_number", "product_id")

    def __init__(self, product_id: int | None = None, order_number: str | None = None) -> None:
        self.product_id = product_id
        self.order_number = order_number

    def about(self) -> str:
        parts = []
        if self.product_id is not None:
            parts.append(f"товар {self.product_id}")
        if self.order_number is not None:
            parts.append(f"заказ {self.order_number}")
        return f" ({', '.join(parts)})" if parts else ""


async def _product(session: AsyncSession, product_id: int) -> Product:
    product = await session.get(Product, product_id)
    if product is None:
        raise ProductNotFound(product_id=product_id)
    return product


async def _order_seller(session: AsyncSession, customer_id: int, subject: SellerChatSubject) -> int:
    """The seller of the customer's order (of the chosen product, when it has several)."""
    order = await session.scalar(select(Order).where(Order.number == subject.order_number))
    if order is None or order.customer_id != customer_id:
        raise OrderNotFound(number=subject.order_number)
    rows = (
        await session.execute(
            select(Product.id, Product.seller_id, Product.sale_scheme)
            .join(OrderItem, OrderItem.product_id == Product.id)
            .where(OrderItem.order_id == order.id)
        )
    ).all()
    if subject.product_id is not None:
        rows = [row for row in rows if row.id == subject.product_id]
        if not rows:
            raise ProductNotFound(product_id=subject.product_id)
    sellers = {row.seller_id for row in rows if row.sale_scheme != SaleScheme.RETAIL}
    if not sellers and rows:
        raise RetailHasNoSellerChat()
    if len(sellers) != 1:
        raise NoSellerToWrite()
    return int(sellers.pop())


async def seller_of(session: AsyncSession, customer_id: int, subject: SellerChatSubject) -> int:
    """The seller the customer writes to; Retail goods are sold by the marketplace itself
    (409 ``seller_chat_retail``: support answers those)."""
    if subject.order_number is not None:
        return await _order_seller(session, customer_id, subject)
    if subject.product_id is None:
        raise SellerChatNeedsSubject()
    product = await _product(session, subject.product_id)
    if product.sale_scheme == SaleScheme.RETAIL:
        raise RetailHasNoSellerChat()
    return product.seller_id


async def _open_dialogue(
    session: AsyncSession, customer_id: int, seller_id: int
) -> Conversation | None:
    return await session.scalar(
        select(Conversation)
        .where(
            Conversation.customer_id == customer_id,
            Conversation.seller_id == seller_id,
            Conversation.line == Line.SELLER_CHAT,
            Conversation.status != S.CLOSED,
        )
        .order_by(Conversation.id.desc())
        .limit(1)
    )


@serialized
async def open_seller_chat(
    session: AsyncSession, ctx: ChatContext, principal: Principal, subject: SellerChatSubject
) -> tuple[ConversationView, bool]:
    """A logged-in customer writes to the seller of a product or an order: their open
    dialogue with that seller, or a new one with a note on what it is about. → (the
    conversation, whether it is new)."""
    if principal.kind != "customer":
        raise HubCustomerOnly()
    customer_id = int(principal.id)
    seller_id = await seller_of(session, customer_id, subject)
    # the customer's row lock: two clicks at once open one dialogue (SQLite: the write lock)
    await session.execute(LOCK_CUSTOMER, {"customer_id": customer_id})
    existing = await _open_dialogue(session, customer_id, seller_id)
    if existing is not None:
        view = conversation_view(existing)
        await session.commit()
        return view, False
    seller = await session.get(Seller, seller_id)
    assert seller is not None  # the product's foreign key
    now = utcnow()
    extra: dict[str, object] = {}
    if subject.product_id is not None:
        extra["product_id"] = subject.product_id
    if subject.order_number is not None:
        extra["order_number"] = subject.order_number
    conversation = Conversation(
        customer_id=customer_id,
        line=Line.SELLER_CHAT.value,
        status=S.ASSIGNED.value,  # with the seller from the start: no bot, no queue
        seller_id=seller_id,
        last_seq=0,
        extra=extra,
        created_at=now,
        updated_at=now,
    )
    session.add(conversation)
    await session.flush()
    await webhooks.emit(
        session, WebhookEvent.CONVERSATION_CREATED, partial(conversation_data, conversation)
    )
    note = TEXT_OPENED.format(seller=seller.name, about=subject.about())
    await system_note(session, changes_for(session, ctx.publish), conversation, note)
    view = conversation_view(conversation)
    await session.commit()
    return view, True


async def _lock(session: AsyncSession, conversation: Conversation) -> None:
    """The row lock, and the state under it."""
    await session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id)
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    await session.refresh(conversation)


def _stop_clocks(conversation: Conversation) -> None:
    """The support line's clocks do not run while the seller has the case."""
    conversation.first_response_due_at = None
    conversation.next_response_due_at = None
    conversation.resolution_due_at = None


@serialized
async def bring_seller(
    session: AsyncSession,
    ctx: ChatContext,
    principal: Principal,
    conversation_id: int,
    seller_id: int,
) -> ConversationView:
    """Support brings the seller into a case: the conversation (queued or assigned, held by
    the caller or any for a supervisor) moves to the seller chat with the seller as its party;
    the operator keeps reading it. Again: the conversation as it is."""
    principal.require_operator(*STAFF_ROLES)
    conversation = await load(session, principal, conversation_id)
    seller = await session.get(Seller, seller_id)
    if seller is None:
        raise SellerNotFound(seller_id=seller_id)
    await _lock(session, conversation)
    if conversation.line == Line.SELLER_CHAT and conversation.seller_id == seller_id:
        view = conversation_view(conversation)
        await session.rollback()
        return view
    if conversation.status not in (S.QUEUED, S.ASSIGNED) or conversation.line == Line.SELLER_CHAT:
        await session.rollback()
        raise NotTransferable()
    if conversation.assigned_operator_id != principal.id and not is_supervisor(principal):
        await session.rollback()
        raise NotAssignedToTransfer()
    changes = changes_for(session, ctx.publish)
    previous, old_line = conversation.assigned_operator_id, conversation.line
    changes.changed(conversation, previous)
    await access.record_operator(session, conversation.id, int(principal.id))
    conversation.line = Line.SELLER_CHAT.value
    conversation.seller_id = seller_id
    conversation.seller_read_seq = 0
    move_to(conversation, S.ASSIGNED)
    conversation.assigned_operator_id = None
    _stop_clocks(conversation)
    await system_note(
        session, changes, conversation, TEXT_SELLER_BROUGHT.format(seller=seller.name)
    )
    audit.record(
        session,
        principal,
        "conversation.seller_brought",
        entity_kind="conversation",
        entity_id=conversation.id,
        seller_id=seller_id,
    )
    if previous is not None:
        await dispatch_queue(session, changes, old_line)  # the operator's place is free
    view = conversation_view(conversation)
    await session.commit()
    return view


@serialized
async def pass_to_support(
    session: AsyncSession, ctx: ChatContext, principal: Principal, conversation_id: int
) -> ConversationView:
    """The seller passes a case to support: the open seller chat joins the general line's
    queue with a note for the customer; the seller keeps reading it."""
    principal.require_operator(*STAFF_ROLES)
    conversation = await load(session, principal, conversation_id)
    if not is_supervisor(principal) and not (
        conversation.seller_id is not None
        and await access.represents(session, int(principal.id), conversation.seller_id)
    ):
        raise SellerOnly()
    await _lock(session, conversation)
    if conversation.line != Line.SELLER_CHAT:
        if conversation.seller_id is not None and conversation.status != S.CLOSED:
            view = conversation_view(conversation)  # passed already (a retry)
            await session.rollback()
            return view
        await session.rollback()
        raise NotASellerChat()
    if conversation.status == S.CLOSED:
        await session.rollback()
        raise ConversationClosed()
    changes = changes_for(session, ctx.publish)
    changes.changed(conversation, conversation.assigned_operator_id)
    conversation.line = Line.GENERAL.value
    await enqueue(session, changes, conversation, note=TEXT_TO_SUPPORT)
    audit.record(
        session,
        principal,
        "conversation.passed_to_support",
        entity_kind="conversation",
        entity_id=conversation.id,
        seller_id=conversation.seller_id,
    )
    view = conversation_view(conversation)
    await session.commit()
    return view
