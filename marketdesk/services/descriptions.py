"""«Сообщить о неточности» (seed 000): Retail → task «Ошибка описания»; FBO/FBS/rFBS → no
task: a logged-in customer gets the chat with the product's seller opened for them (issue 14,
``chat.open_seller_chat``: ``seller_conversation_id``); an operator reporting for someone
gets the rule's direction to the seller's chat."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.descriptions import SaleScheme, route_description_error
from marketdesk.store.db import read_first
from marketdesk.store.models import Product
from marketdesk.store.quick_reads import QuickQuery
from marketdesk.store.transactions import statement_alone

from . import audit
from .chat import ChatContext, SellerChatSubject, open_seller_chat
from .errors import LoginToReport, ProductNotFound
from .principals import Principal
from .tasks import create_task

__all__ = ["InaccuracyResult", "report_inaccuracy"]

# a product's scheme, read on its own (on PostgreSQL without BEGIN; store.quick_reads)
_SALE_SCHEME = QuickQuery(
    select(Product.sale_scheme).where(Product.id == bindparam("product_id", type_=Product.id.type))
)


class InaccuracyResult(BaseModel):
    creates_task: bool
    task_number: str | None
    message: str
    seller_conversation_id: int | None = None


TEXT_SELLER_CHAT_OPENED = (
    "Описание товара заполняет продавец: мы открыли чат с ним в разделе «Сообщения» → "
    "«Продавцы». Опишите там, что не так."
)


async def report_inaccuracy(
    session: AsyncSession,
    principal: Principal,
    product_id: int,
    text: str,
    *,
    conversation_id: int | None = None,
    ctx: ChatContext | None = None,
) -> InaccuracyResult:
    """A customer (or an operator for them) reports an error in a product's description."""
    if principal.kind == "visitor":
        raise LoginToReport()
    product = await read_first(session, _SALE_SCHEME, {"product_id": product_id})
    if product is None:
        raise ProductNotFound(product_id=product_id)
    route = route_description_error(SaleScheme(product.sale_scheme))
    queue = route.queue if route.creates_task else None
    if queue is None:
        await statement_alone(session)  # the audit's entry is the whole write: alone
        await audit.write(
            session,
            principal,
            "description_error.routed",
            entity_kind="product",
            entity_id=product_id,
            creates_task=False,
        )
        await session.commit()
        if ctx is not None and principal.kind == "customer":
            view, _ = await open_seller_chat(
                session, ctx, principal, SellerChatSubject(product_id=product_id)
            )
            return InaccuracyResult(
                creates_task=False,
                task_number=None,
                message=TEXT_SELLER_CHAT_OPENED,
                seller_conversation_id=view.id,
            )
        return InaccuracyResult(
            creates_task=False, task_number=None, message=route.customer_message_ru
        )
    customer_id = int(principal.id) if principal.kind == "customer" else None
    task = await create_task(
        session,
        principal if principal.is_operator else None,
        queue=queue,
        title=f"Ошибка описания товара {product_id}",
        description=text,
        product_id=product_id,
        customer_id=customer_id,
        conversation_id=conversation_id,
        on_behalf_of=principal,  # the customer links only their own conversation
        product_found=True,  # read above
        # the rule's entry goes in with the task (on PostgreSQL one statement)
        followers=(
            audit.follower(
                principal,
                "description_error.routed",
                entity_kind="product",
                id_from="product_id",
                creates_task=True,
            ),
        ),
    )
    return InaccuracyResult(
        creates_task=True,
        task_number=task.number,
        message=f"{route.customer_message_ru} Номер заявки: {task.number}.",
    )
