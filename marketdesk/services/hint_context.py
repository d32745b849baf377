"""What the console knows of a case, for ranking the answer hints (issue 20: hints by the
conversation's topic and recent turns, and by the card: the coupon-ban decision, the line,
the customer's kind)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.bot.core import EARLIER_TURNS, HintContext
from marketdesk.domain.coupon_ban import CouponBanDecision, decide_coupon_ban
from marketdesk.store.models import CouponBan, Customer, Message

from . import chat
from .principals import Principal

__all__ = ["hint_context"]

_CUSTOMER_SENDERS = ("customer", "visitor")


async def hint_context(
    session: AsyncSession,
    principal: Principal,
    *,
    conversation_id: int | None = None,
    customer_id: int | None = None,
) -> HintContext:
    """The context of a conversation the operator may read (else the same 404 as for a
    missing one) and of a customer's card. The conversation's own customer wins over
    ``customer_id``; a customer that does not exist adds nothing."""
    principal.require_operator()
    topic: str | None = None
    earlier: tuple[str, ...] = ()
    facts: dict[str, str] = {}
    if conversation_id is not None:
        view = await chat.get_conversation(session, principal, conversation_id)
        topic = view.topic
        facts["line"] = view.line
        customer_id = view.customer_id or customer_id
        newest = list(
            await session.scalars(
                select(Message.text)
                .where(
                    Message.conversation_id == conversation_id,
                    Message.sender_kind.in_(_CUSTOMER_SENDERS),
                )
                .order_by(Message.seq.desc())
                .limit(EARLIER_TURNS + 1)
            )
        )
        earlier = tuple(reversed(newest[1:]))  # the newest is the text the hints are for
    if customer_id is not None:
        customer = await session.get(Customer, customer_id)
        if customer is not None:
            facts["customer_kind"] = customer.kind
            ban = await session.get(CouponBan, customer_id)
            active = ban is not None and ban.lifted_at is None
            facts["coupon_ban"] = (
                decide_coupon_ban(ban.intersections).decision.value
                if active and ban is not None
                else CouponBanDecision.NONE.value
            )
    return HintContext(topic=topic, earlier=earlier, facts=facts)
